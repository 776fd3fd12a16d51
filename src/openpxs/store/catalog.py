"""A merchant's program configuration as the domain sees it, read from the tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.errors import InvalidMerchant
from openpxs.domain.program import CardTemplateDef, Program, StoreDef, WalletDef
from openpxs.store.tables import card_templates, merchants, stores, wallets


async def load_program(conn: AsyncConnection, merchant_id: int) -> Program:
    merchant = (
        (await conn.execute(select(merchants).where(merchants.c.merchant_id == merchant_id)))
        .mappings()
        .first()
    )
    if merchant is None:
        raise InvalidMerchant(f"merchant {merchant_id} is not configured")
    wallet_rows = await conn.execute(select(wallets).where(wallets.c.merchant_id == merchant_id))
    template_rows = await conn.execute(
        select(card_templates).where(card_templates.c.merchant_id == merchant_id)
    )
    store_rows = await conn.execute(
        select(stores.c.code, stores.c.name).where(stores.c.merchant_id == merchant_id)
    )
    return Program(
        merchant_id=merchant_id,
        name=merchant["name"],
        timezone=merchant["timezone"],
        wallets={
            w.code: WalletDef(
                code=w.code,
                name=w.name,
                kind=w.kind,
                scale=w.scale,
                program=w.program,
                allow_negative=w.allow_negative,
                default_expiration_days=w.default_expiration_days,
                description=w.description,
                giftable=w.giftable,
                pos=dict(w.pos or {}),
            )
            for w in wallet_rows
        },
        templates={
            t.code: CardTemplateDef(code=t.code, name=t.name, programs=tuple(t.programs))
            for t in template_rows
        },
        stores={s.code: StoreDef(code=s.code, name=s.name) for s in store_rows},
    )

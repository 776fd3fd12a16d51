"""A merchant's program configuration as the domain sees it, read from the tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.config.guest import EnrollmentConfig, GuestConfig
from openpxs.config.loyalty import LoyaltyConfig
from openpxs.domain.errors import InvalidMerchant
from openpxs.domain.fields import with_login
from openpxs.domain.program import CardTemplateDef, Program, StoreDef, WalletDef
from openpxs.store.tables import card_templates, merchants, stores, wallets

# (database, merchant_id) -> (config_version, Program). `config apply` bumps the version
# whenever the program changes, so one small read per call tells whether the copy is current.
_cache: dict[tuple[str, int], tuple[int, Program]] = {}


async def load_program(conn: AsyncConnection, merchant_id: int) -> Program:
    merchant = (
        await conn.execute(
            select(merchants.c.config_version).where(merchants.c.merchant_id == merchant_id)
        )
    ).first()
    if merchant is None:
        raise InvalidMerchant(f"merchant {merchant_id} is not configured")
    key = (str(conn.engine.url), merchant_id)
    cached = _cache.get(key)
    if cached is not None and cached[0] == merchant.config_version:
        return cached[1]
    program = await _read_program(conn, merchant_id)
    _cache[key] = (merchant.config_version, program)
    return program


async def _read_program(conn: AsyncConnection, merchant_id: int) -> Program:
    # The settings are read only when the cached copy is stale: they are the bulk of it.
    merchant = (
        await conn.execute(select(merchants).where(merchants.c.merchant_id == merchant_id))
    ).one()
    wallet_rows = await conn.execute(select(wallets).where(wallets.c.merchant_id == merchant_id))
    template_rows = await conn.execute(
        select(card_templates).where(card_templates.c.merchant_id == merchant_id)
    )
    store_rows = await conn.execute(
        select(stores.c.code, stores.c.name, stores.c.groups).where(
            stores.c.merchant_id == merchant_id
        )
    )
    return Program(
        merchant_id=merchant_id,
        name=merchant.name,
        timezone=merchant.timezone,
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
        templates={t.code: _template(t) for t in template_rows},
        stores={
            s.code: StoreDef(code=s.code, name=s.name, groups=frozenset(s.groups or ()))
            for s in store_rows
        },
        guest=GuestConfig.model_validate(merchant.guest_config or {}),
        loyalty=LoyaltyConfig.model_validate(merchant.loyalty_config or {}),
    )


def _template(row: Row[Any]) -> CardTemplateDef:
    enrollment = EnrollmentConfig.model_validate(row.enrollment or {})
    return CardTemplateDef(
        code=row.code,
        name=row.name,
        programs=tuple(row.programs),
        form=with_login({f.field: f.setting() for f in enrollment.fields}),
        eclub=enrollment.eclub,
    )

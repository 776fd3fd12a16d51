"""A merchant's program configuration as the domain sees it, read from the tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.config.challenges import Challenge
from openpxs.config.console import ConsoleConfig
from openpxs.config.guest import EnrollmentConfig, GuestConfig
from openpxs.config.loyalty import LoyaltyConfig
from openpxs.config.outreach import OutreachConfig
from openpxs.config.payments import PaymentsConfig
from openpxs.config.places import PlacesConfig
from openpxs.config.social_groups import SocialGroupConfig
from openpxs.config.surveys import SurveyConfig
from openpxs.config.wallet_passes import WalletPassesConfig
from openpxs.domain.errors import InvalidMerchant
from openpxs.domain.fields import with_login
from openpxs.domain.program import CardTemplateDef, Program, StoreDef, WalletDef
from openpxs.store.repositories import Repository
from openpxs.store.tables import card_templates, merchants, stores, wallets

# How long a server trusts its copy of a program before asking the database whether
# `config apply` has changed it since. The question is one small read, but on every POS
# call it is a tenth of the statements; a program change instead reaches running
# servers within this window (and at once in the process that applied it).
RECHECK_SECONDS = 1.0


@dataclass
class _Cached:
    version: int
    program: Program
    checked: float  # time.monotonic() of the last version check


_VERSION = select(merchants.c.config_version).where(
    merchants.c.merchant_id == bindparam("merchant_id")
)


# (database URL, merchant_id) -> the copy of its program this process holds.
_cache: dict[tuple[URL, int], _Cached] = {}


# (database URL, merchant_id) -> the program version this process wrote last. A call
# that read the program while that write was not yet committed read the version before
# it: what it read is used once but not kept, or the process would hold the old program
# for RECHECK_SECONDS after changing it itself.
_written: dict[tuple[URL, int], int] = {}


def forget(merchant_id: int | None = None) -> None:
    """Drop cached programs (one merchant's, or all), so the next call reads them again."""
    if merchant_id is None:
        _cache.clear()
        return
    for key in [k for k in _cache if k[1] == merchant_id]:
        del _cache[key]


def written(url: URL, merchant_id: int, version: int) -> None:
    """This process is writing ``version`` of the merchant's program (config apply): no
    copy older than it is kept from now on, even one read before the write commits."""
    _written[(url, merchant_id)] = version
    forget(merchant_id)


class ProgramRepository(Repository):
    """The merchant's program as the rules see it, read once and kept by the process."""

    __slots__ = ()

    async def load(self, merchant_id: int) -> Program:
        return await load_program(self.conn, merchant_id)

    async def merchant_ids(self) -> list[int]:
        """Every configured merchant, lowest id first."""
        rows = await self.conn.execute(
            select(merchants.c.merchant_id).order_by(merchants.c.merchant_id)
        )
        return [int(r) for r in rows.scalars()]


async def load_program(conn: AsyncConnection, merchant_id: int) -> Program:
    # The URL itself, not its text: rendering it on every call showed in the profile.
    key = (conn.engine.url, merchant_id)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached.checked < RECHECK_SECONDS:
        return cached.program
    version = (await conn.execute(_VERSION, {"merchant_id": merchant_id})).scalar()
    if version is None:
        raise InvalidMerchant(f"merchant {merchant_id} is not configured")
    if cached is not None and cached.version == version:
        cached.checked = now
        return cached.program
    program = await _read_program(conn, merchant_id)
    if version >= _written.get(key, 0):
        _cache[key] = _Cached(version, program, now)
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
        payments=PaymentsConfig.model_validate(merchant.payments_config or {}),
        surveys={
            survey.code: survey
            for survey in (
                SurveyConfig.model_validate(item) for item in merchant.surveys_config or []
            )
        },
        places=PlacesConfig.model_validate(merchant.places_config or {}),
        challenges=tuple(Challenge.model_validate(c) for c in merchant.challenges_config or ()),
        social_groups=(
            SocialGroupConfig.model_validate(merchant.social_groups_config)
            if merchant.social_groups_config is not None
            else None
        ),
        outreach=OutreachConfig.model_validate(merchant.outreach_config or {}),
        wallet_passes=WalletPassesConfig.model_validate(merchant.wallet_passes_config or {}),
        console=ConsoleConfig.model_validate(merchant.console_config or {}),
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

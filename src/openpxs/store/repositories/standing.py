"""An account's standing in the loyalty program: its tier, what it earned in a window,
whether it has visited before. What the rules of a check and the tiers read."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update

from openpxs.domain.transactions import Kind
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import Repository
from openpxs.store.repositories.ledger import JOURNAL_WITH_TRANSACTIONS
from openpxs.store.tables import accounts, journal, transactions

# Built once: a check posting reads the account's standing with these.
_TIER_OF = select(accounts.c.tier_code).where(
    accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a")
)
_SET_TIER = (
    update(accounts)
    .where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a"))
    .values(tier_code=bindparam("tier"))
)
# Whether a check of the account (bound as ``m`` and ``a``) still stands.
VISITED = exists().where(
    transactions.c.merchant_id == bindparam("m"),
    transactions.c.account_id == bindparam("a"),
    transactions.c.kind == Kind.CHECK,
    transactions.c.undone_by_id.is_(None),
)
_VISITED = select(VISITED)
# The tier and whether a check of the account still stands, in one round trip.
_TIER_AND_VISITED = DirectQuery(
    select(accounts.c.tier_code, _VISITED.scalar_subquery()).where(
        accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a")
    )
)


def _earned(wallet_code: Any, since: Any) -> Any:
    """The units credited to one wallet since a time by transactions that still stand
    (``earned_since``); the account is bound as ``m`` and ``a``."""
    return (
        select(func.coalesce(func.sum(journal.c.units), 0))
        .select_from(JOURNAL_WITH_TRANSACTIONS)
        .where(
            journal.c.merchant_id == bindparam("m"),
            journal.c.account_id == bindparam("a"),
            journal.c.wallet_code == wallet_code,
            journal.c.units > 0,
            journal.c.created_at >= since,
            transactions.c.target_id.is_(None),
            transactions.c.undone_by_id.is_(None),
        )
    )


_EARNED_SINCE = _earned(bindparam("w"), bindparam("since"))


@functools.cache
def _tier_and_earnings(windows: int) -> DirectQuery:
    """The account's tier and what ``earned_since`` answers for each of ``windows``
    windows (bound as ``w<n>`` and ``since<n>``), made once per number of windows: a
    posted check asks on every call, and building the statement cost more than the
    database's work."""
    sums = [
        _earned(bindparam(f"w{n}"), bindparam(f"since{n}")).scalar_subquery().label(f"earned_{n}")
        for n in range(windows)
    ]
    return DirectQuery(
        select(accounts.c.tier_code, *sums).where(
            accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a")
        )
    )


class StandingRepository(Repository):
    __slots__ = ()

    async def tier_of(self, merchant_id: int, account_id: int) -> int | None:
        tier = (await self.conn.execute(_TIER_OF, {"m": merchant_id, "a": account_id})).scalar()
        return int(tier) if tier is not None else None

    async def set_tier(self, merchant_id: int, account_id: int, tier: int | None) -> None:
        await self.conn.execute(_SET_TIER, {"m": merchant_id, "a": account_id, "tier": tier})

    async def tier_and_visited(self, merchant_id: int, account_id: int) -> tuple[int | None, bool]:
        """The account's tier, and whether a check of the account still stands (not
        reversed)."""
        row = await _TIER_AND_VISITED.first(self.conn, {"m": merchant_id, "a": account_id})
        if row is None:
            return None, False
        return (int(row[0]) if row[0] is not None else None), bool(row[1])

    async def tier_and_earnings(
        self, merchant_id: int, account_id: int, windows: list[tuple[int, datetime]]
    ) -> tuple[int | None, list[int]]:
        """The account's tier and, for each (wallet, since) of ``windows``, what
        ``earned_since`` answers, in one round trip."""
        params: dict[str, Any] = {"m": merchant_id, "a": account_id}
        for n, (wallet, since) in enumerate(windows):
            params[f"w{n}"], params[f"since{n}"] = wallet, since
        row = await _tier_and_earnings(len(windows)).first(self.conn, params)
        if row is None:
            return None, [0] * len(windows)
        tier = int(row[0]) if row[0] is not None else None
        return tier, [int(units or 0) for units in row[1:]]

    async def earned_since(
        self, merchant_id: int, account_id: int, wallet_code: int, since: datetime
    ) -> int:
        """Units credited to a wallet since ``since`` by transactions that still stand:
        redemptions, conversions and expiries do not lower it; reversals do not count."""
        units = (
            await self.conn.execute(
                _EARNED_SINCE, {"m": merchant_id, "a": account_id, "w": wallet_code, "since": since}
            )
        ).scalar()
        return int(units or 0)

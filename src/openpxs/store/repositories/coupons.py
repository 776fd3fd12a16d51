"""Coupon uses, and the numbered slots by which the database enforces a coupon's limits.

A use that falls under a limit holds a slot number from 1 to the limit:
``coupon_slot`` for the coupon's overall limit (single_use, max_uses), ``account_slot``
for its per-account limit. Unique constraints over (merchant, coupon, coupon_slot) and
(merchant, coupon, account, account_slot) let no two uses hold one slot, so of two
concurrent uses reaching for the last slot one inserts and the other finds it taken:
the constraint decides, not a count read before the insert. Freeing a slot (a void, or
the reversal of the check the use came with) sets it to NULL, which any number of rows
may hold, and gives the use back to the limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, literal_column, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.domain.coupons import CouponLimits, CouponUse, Limit, RecordedUse
from openpxs.store.repositories import Repository
from openpxs.store.tables import coupon_uses as uses

# An insert whose slot is held inserts nothing (no savepoint needed to go on): the
# returned id tells which happened. PostgreSQL first waits for a concurrent holder's
# transaction, so a slot it rolls back is not lost.
_INSERT_POSTGRES = postgresql.insert(uses).on_conflict_do_nothing().returning(uses.c.id)
_INSERT_SQLITE = sqlite.insert(uses).on_conflict_do_nothing().returning(uses.c.id)

_SLOT = {Limit.COUPON: "coupon_slot", Limit.ACCOUNT: "account_slot"}
_SCOPE = {
    Limit.COUPON: ("merchant_id", "coupon_id"),
    Limit.ACCOUNT: ("merchant_id", "coupon_id", "account_id"),
}


def _lowest_free(limit: Limit) -> Select[Any]:
    """The lowest slot number from 1 to :limit that no use in the scope holds (NULL if
    none): 1, or one above a held slot, whichever is free first."""
    slot = _SLOT[limit]
    held = uses.alias("held")

    def in_scope(table: Any) -> list[Any]:
        return [table.c[column] == bindparam(column) for column in _SCOPE[limit]]

    candidates = union_all(
        select(literal_column("1").label("n")),
        select((uses.c[slot] + 1).label("n")).where(*in_scope(uses), uses.c[slot].is_not(None)),
    ).subquery("candidates")
    return select(func.min(candidates.c.n)).where(
        candidates.c.n <= bindparam("limit"),
        ~exists().where(*in_scope(held), held.c[slot] == candidates.c.n),
    )


_FREE = {limit: _lowest_free(limit) for limit in Limit}
_HELD = {
    limit: select(func.count(uses.c[_SLOT[limit]])).where(
        *(uses.c[column] == bindparam(column) for column in _SCOPE[limit])
    )
    for limit in Limit
}
_HOLD = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
_FREE_SLOTS = update(uses).values(coupon_slot=None, account_slot=None)


class CouponRepository(Repository):
    __slots__ = ()

    async def held(
        self, merchant_id: int, coupon_id: int, limit: Limit, account_id: int | None = None
    ) -> int:
        """How many standing uses hold a slot under this limit (of the account's, for
        the per-account limit)."""
        found = await self.conn.execute(
            _HELD[limit], _scope(limit, merchant_id, coupon_id, account_id)
        )
        return int(found.scalar_one())

    async def record(
        self, merchant_id: int, use: CouponUse, limits: CouponLimits, now: datetime
    ) -> Limit | None:
        """Insert the use holding a free slot under each limit it falls under (the
        per-account limit only when the use has an account). None when it is recorded;
        else the limit that has no free slot left, and nothing is written.

        When a concurrent use takes the slot first, the free slots are looked up again:
        each such turn means one slot fewer, so the loop ends."""
        under: list[tuple[Limit, int]] = []
        if limits.per_coupon is not None:
            under.append((Limit.COUPON, limits.per_coupon))
        if limits.per_account is not None and use.account_id is not None:
            under.append((Limit.ACCOUNT, limits.per_account))
        for _ in range(sum(n for _, n in under) + 1):
            slots: dict[str, int] = {}
            for limit, n in under:
                scope = _scope(limit, merchant_id, use.coupon_id, use.account_id)
                slot = (await self.conn.execute(_FREE[limit], {**scope, "limit": n})).scalar()
                if slot is None:
                    return limit
                slots[_SLOT[limit]] = int(slot)
            inserted = await self.conn.execute(
                _INSERT_POSTGRES if self.postgres else _INSERT_SQLITE,
                {"merchant_id": merchant_id, **_columns(use), **slots, "created_at": now},
            )
            if inserted.first() is not None:
                return None
        return under[0][0]

    async def standing_resend(
        self,
        merchant_id: int,
        coupon_id: int,
        store_code: str,
        check_number: str | None,
        redemption_datetime: str,
    ) -> bool:
        """Whether a use with these details is recorded and not voided (a use recorded
        without a check number is matched on its missing check number).

        Identical records of one use take turns from here to the end of the call, so a
        till resending before its first reply finds the first as a resend: a lock on
        that one use's details, not on the coupon (SQLite: BEGIN IMMEDIATE has every
        writer take turns already)."""
        if self.postgres:
            key = f"coupon-use:{merchant_id}:{coupon_id}:{store_code}:{check_number}:"
            await self.conn.execute(_HOLD, {"key": key + redemption_datetime})
        same_check = (
            uses.c.check_number.is_(None)
            if check_number is None
            else uses.c.check_number == check_number
        )
        found = await self.conn.execute(
            select(uses.c.id)
            .where(
                uses.c.merchant_id == merchant_id,
                uses.c.coupon_id == coupon_id,
                uses.c.store_code == store_code,
                same_check,
                uses.c.redemption_datetime == redemption_datetime,
                uses.c.voided_at.is_(None),
            )
            .limit(1)
        )
        return found.first() is not None

    async def of_check(
        self,
        merchant_id: int,
        coupon_id: int,
        store_code: str,
        check_number: str,
        check_open_datetime: str,
    ) -> list[RecordedUse]:
        """The coupon's uses recorded for one check, newest first."""
        rows = await self.conn.execute(
            select(uses.c.id, uses.c.redemption_datetime, uses.c.voided_at)
            .where(
                uses.c.merchant_id == merchant_id,
                uses.c.coupon_id == coupon_id,
                uses.c.store_code == store_code,
                uses.c.check_number == check_number,
                uses.c.check_open_datetime == check_open_datetime,
            )
            .order_by(uses.c.id.desc())
        )
        return [RecordedUse(r.id, r.redemption_datetime, r.voided_at is not None) for r in rows]

    async def void(self, merchant_id: int, use_id: int, now: datetime) -> None:
        """Mark the use voided; its slots are free again."""
        await self.conn.execute(
            _FREE_SLOTS.where(uses.c.merchant_id == merchant_id, uses.c.id == use_id).values(
                voided_at=now
            )
        )

    async def give_back(self, merchant_id: int, transaction_id: int) -> None:
        """Free the slots of the uses recorded with a transaction that is being undone:
        they no longer count, though the rows stay for reporting."""
        await self.conn.execute(
            _FREE_SLOTS.where(
                uses.c.merchant_id == merchant_id, uses.c.transaction_id == transaction_id
            )
        )


def _scope(
    limit: Limit, merchant_id: int, coupon_id: int, account_id: int | None
) -> dict[str, Any]:
    values = {"merchant_id": merchant_id, "coupon_id": coupon_id, "account_id": account_id}
    return {column: values[column] for column in _SCOPE[limit]}


def _columns(use: CouponUse) -> dict[str, Any]:
    return {
        "coupon_id": use.coupon_id,
        "account_id": use.account_id,
        "printed_card_number": use.printed_card_number,
        "store_code": use.store_code,
        "check_number": use.check_number,
        "redemption_datetime": use.redemption_datetime,
        "check_open_datetime": use.check_open_datetime,
        "operator_id": use.operator_id,
        "terminal_id": use.terminal_id,
        "transaction_id": use.transaction_id,
    }

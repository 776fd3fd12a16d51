"""Accounts: creating, locking and closing them, and the standing they carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from openpxs.domain.cards import Account, AccountStatus
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import accounts

_INSERT = accounts.insert().returning(accounts.c.id, sort_by_parameter_order=True)
_LOCK_MANY = (
    select(accounts.c.id, accounts.c.status)
    .where(
        accounts.c.merchant_id == bindparam("m"),
        accounts.c.id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(accounts.c.id)
    .with_for_update()
)
_LOCK_ONE = (
    select(accounts.c.id, accounts.c.status)
    .where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("id"))
    .with_for_update()
)


def _account(row: Any) -> Account:
    return Account(row.id, row.template_code, AccountStatus(row.status), row.user_id)


class AccountRepository(Repository):
    __slots__ = ()

    async def create(self, merchant_id: int, template_codes: list[int], now: datetime) -> list[int]:
        """New active accounts, one per template code given, ids in the same order."""
        result = await self.conn.execute(
            _INSERT,
            [
                {
                    "merchant_id": merchant_id,
                    "template_code": code,
                    "status": AccountStatus.ACTIVE.value,
                    "created_at": now,
                }
                for code in template_codes
            ],
        )
        return [int(account_id) for account_id in result.scalars()]

    async def lock(self, merchant_id: int, account_ids: list[int]) -> dict[int, AccountStatus]:
        """Take the row locks of these accounts, always in id order so two calls never
        deadlock.

        Every change to an account's wallets happens under its lock, so balances are
        re-read and written by one call at a time (SQLite: the whole database is held by
        BEGIN IMMEDIATE, which gives the same guarantee). Returns each account's status
        as read under the lock.
        """
        statuses: dict[int, AccountStatus] = {}
        ordered = sorted(set(account_ids))
        if len(ordered) == 1:  # the usual case, without an IN list to expand
            rows = await self.conn.execute(_LOCK_ONE, {"m": merchant_id, "id": ordered[0]})
            return {row.id: AccountStatus(row.status) for row in rows}
        for start in range(0, len(ordered), CHUNK):
            rows = await self.conn.execute(
                _LOCK_MANY, {"m": merchant_id, "ids": ordered[start : start + CHUNK]}
            )
            statuses.update({row.id: AccountStatus(row.status) for row in rows})
        return statuses

    async def close(self, merchant_id: int, account_ids: list[int]) -> None:
        for start in range(0, len(account_ids), CHUNK):
            await self.conn.execute(
                update(accounts)
                .where(
                    accounts.c.merchant_id == merchant_id,
                    accounts.c.id.in_(account_ids[start : start + CHUNK]),
                )
                .values(status=AccountStatus.CLOSED.value)
            )

    async def get(self, merchant_id: int, account_id: int) -> Account | None:
        row = (
            await self.conn.execute(
                select(
                    accounts.c.id, accounts.c.template_code, accounts.c.status, accounts.c.user_id
                ).where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
            )
        ).first()
        return _account(row) if row is not None else None

    async def template_of(self, merchant_id: int, account_id: int) -> int | None:
        return (
            await self.conn.execute(
                select(accounts.c.template_code).where(
                    accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
                )
            )
        ).scalar()

    async def owner(self, merchant_id: int, account_id: int) -> int | None:
        """The registered user owning the account, if any."""
        return (
            await self.conn.execute(
                select(accounts.c.user_id).where(
                    accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
                )
            )
        ).scalar()

    async def fields_of(self, merchant_id: int, account_id: int) -> dict[str, object]:
        """The account fields of the enrollment form (favoriteStore, customerNumber, ...)."""
        stored = (
            await self.conn.execute(
                select(accounts.c.fields).where(
                    accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
                )
            )
        ).scalar()
        return dict(stored or {})

    async def set_fields(
        self,
        merchant_id: int,
        account_id: int,
        fields: dict[str, object],
        *,
        enroll_store: str | None = None,
    ) -> None:
        """Store the account's fields whole; ``enroll_store`` records where it enrolled."""
        changes: dict[str, object] = {"fields": fields}
        if enroll_store is not None:
            changes["enroll_store_code"] = enroll_store
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
            .values(**changes)
        )

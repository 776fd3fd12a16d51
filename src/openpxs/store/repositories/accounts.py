"""Accounts: creating, locking and closing them, and the standing they carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from openpxs.domain.cards import Account, AccountStatus
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import accounts, external_accounts

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


_ACCOUNT_COLUMNS = (accounts.c.id, accounts.c.template_code, accounts.c.status, accounts.c.user_id)


def _account(row: Any) -> Account:
    return Account(row.id, row.template_code, AccountStatus(row.status), row.user_id)


@dataclass(frozen=True)
class AccountDetails:
    """What enrollment recorded on an account besides its state."""

    created_at: datetime
    # Account fields of the enrollment form (favoriteStore, customerNumber, ...).
    fields: dict[str, Any]
    enroll_store_code: str | None


@dataclass(frozen=True)
class ExternalAccount:
    """The account's identifier in another system (a push service, a partner)."""

    external_identifier: str
    account_code: str


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

    async def get_many(self, merchant_id: int, account_ids: list[int]) -> dict[int, Account]:
        found: dict[int, Account] = {}
        ordered = sorted(set(account_ids))
        for start in range(0, len(ordered), CHUNK):
            rows = await self.conn.execute(
                select(*_ACCOUNT_COLUMNS).where(
                    accounts.c.merchant_id == merchant_id,
                    accounts.c.id.in_(ordered[start : start + CHUNK]),
                )
            )
            found.update({row.id: _account(row) for row in rows})
        return found

    async def active_of_user(self, merchant_id: int, user_id: int) -> list[Account]:
        """The user's active accounts, oldest first."""
        rows = await self.conn.execute(
            select(*_ACCOUNT_COLUMNS)
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.user_id == user_id,
                accounts.c.status == AccountStatus.ACTIVE.value,
            )
            .order_by(accounts.c.id)
        )
        return [_account(row) for row in rows]

    async def first_active_of_templates(
        self, merchant_id: int, user_ids: list[int], template_codes: list[int]
    ) -> int | None:
        """The oldest active account of any of these users on any of these templates."""
        return (
            await self.conn.execute(
                select(accounts.c.id)
                .where(
                    accounts.c.merchant_id == merchant_id,
                    accounts.c.user_id.in_(user_ids),
                    accounts.c.template_code.in_(template_codes),
                    accounts.c.status == AccountStatus.ACTIVE.value,
                )
                .order_by(accounts.c.id)
                .limit(1)
            )
        ).scalar()

    async def details(self, merchant_id: int, account_id: int) -> AccountDetails | None:
        row = (
            await self.conn.execute(
                select(
                    accounts.c.created_at, accounts.c.fields, accounts.c.enroll_store_code
                ).where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
            )
        ).first()
        if row is None:
            return None
        return AccountDetails(row.created_at, dict(row.fields or {}), row.enroll_store_code)

    async def external_accounts(self, merchant_id: int, account_id: int) -> list[ExternalAccount]:
        """The account's external identifiers, in the order they were linked."""
        rows = await self.conn.execute(
            select(external_accounts.c.external_identifier, external_accounts.c.account_code)
            .where(
                external_accounts.c.merchant_id == merchant_id,
                external_accounts.c.account_id == account_id,
            )
            .order_by(external_accounts.c.id)
        )
        return [ExternalAccount(row.external_identifier, row.account_code) for row in rows]

    async def active_with_external_code(
        self, merchant_id: int, account_code: str, external_identifier: str | None = None
    ) -> list[int]:
        """Ids of the active accounts linked to an external account code (through one
        external system, when given), in id order."""
        query = (
            select(external_accounts.c.account_id)
            .distinct()
            .select_from(
                external_accounts.join(
                    accounts,
                    (accounts.c.merchant_id == external_accounts.c.merchant_id)
                    & (accounts.c.id == external_accounts.c.account_id),
                )
            )
            .where(
                external_accounts.c.merchant_id == merchant_id,
                external_accounts.c.account_code == account_code,
                accounts.c.status == AccountStatus.ACTIVE.value,
            )
        )
        if external_identifier:
            query = query.where(external_accounts.c.external_identifier == external_identifier)
        return sorted(row.account_id for row in await self.conn.execute(query))

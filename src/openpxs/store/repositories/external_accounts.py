"""Identifiers of an account in other systems: push services, partners, sign-in
providers (enrollment editExternalAccounts)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from openpxs.store.repositories import Repository
from openpxs.store.tables import external_accounts


class ExternalAccountRepository(Repository):
    __slots__ = ()

    async def holder(self, merchant_id: int, identifier: str, code: str) -> int | None:
        """The account this (external identifier, account code) pair is linked to."""
        return (
            await self.conn.execute(
                select(external_accounts.c.account_id).where(
                    external_accounts.c.merchant_id == merchant_id,
                    external_accounts.c.external_identifier == identifier,
                    external_accounts.c.account_code == code,
                )
            )
        ).scalar()

    async def link(self, merchant_id: int, account_id: int, identifier: str, code: str) -> None:
        await self.conn.execute(
            insert(external_accounts).values(
                merchant_id=merchant_id,
                account_id=account_id,
                external_identifier=identifier,
                account_code=code,
            )
        )

    async def unlink(self, merchant_id: int, account_id: int, identifier: str, code: str) -> None:
        """Remove the pair from this account; a pair it does not hold is left alone."""
        await self.conn.execute(
            delete(external_accounts).where(
                external_accounts.c.merchant_id == merchant_id,
                external_accounts.c.account_id == account_id,
                external_accounts.c.external_identifier == identifier,
                external_accounts.c.account_code == code,
            )
        )

"""Identifiers of an account in other systems: push services, partners, sign-in
providers (enrollment editExternalAccounts)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

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

    async def link(self, merchant_id: int, account_id: int, identifier: str, code: str) -> bool:
        """Link the pair to the account; False when it is linked already (to this account
        or another): the pair's uniqueness decides a race between two calls linking it,
        and the call that lost may go on (its statement alone is undone)."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(external_accounts).values(
                        merchant_id=merchant_id,
                        account_id=account_id,
                        external_identifier=identifier,
                        account_code=code,
                    )
                )
        except IntegrityError:
            return False
        return True

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

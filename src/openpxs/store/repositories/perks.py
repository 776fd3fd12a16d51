"""Perks attached to accounts (enrollment addAccountPerk)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from openpxs.store.repositories import Repository
from openpxs.store.tables import account_perks


class PerkRepository(Repository):
    __slots__ = ()

    async def add(self, merchant_id: int, account_id: int, code: str, now: datetime) -> None:
        """Attach the perk; one the account already has stays as it was."""
        held = (
            await self.conn.execute(
                select(account_perks.c.perk_code).where(
                    account_perks.c.merchant_id == merchant_id,
                    account_perks.c.account_id == account_id,
                    account_perks.c.perk_code == code,
                )
            )
        ).first()
        if held is None:
            await self.conn.execute(
                insert(account_perks).values(
                    merchant_id=merchant_id, account_id=account_id, perk_code=code, added_at=now
                )
            )

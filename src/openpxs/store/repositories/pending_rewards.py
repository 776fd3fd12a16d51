"""Rewards an event (birthday, anniversary, referral) has earned an account but not yet
granted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import pending_event_rewards


@dataclass(frozen=True)
class PendingReward:
    event_name: str
    wallet_code: int
    units: int
    expires_on: date | None


class PendingRewardRepository(Repository):
    __slots__ = ()

    async def of_account(self, merchant_id: int, account_id: int) -> list[PendingReward]:
        """The account's pending rewards, oldest first."""
        rows = await self.conn.execute(
            select(pending_event_rewards)
            .where(
                pending_event_rewards.c.merchant_id == merchant_id,
                pending_event_rewards.c.account_id == account_id,
            )
            .order_by(pending_event_rewards.c.id)
        )
        return [PendingReward(r.event_name, r.wallet_code, r.units, r.expires_on) for r in rows]

    async def move_to_account(
        self, merchant_id: int, from_account_ids: list[int], to_account_id: int
    ) -> None:
        for start in range(0, len(from_account_ids), CHUNK):
            await self.conn.execute(
                update(pending_event_rewards)
                .where(
                    pending_event_rewards.c.merchant_id == merchant_id,
                    pending_event_rewards.c.account_id.in_(from_account_ids[start : start + CHUNK]),
                )
                .values(account_id=to_account_id)
            )

"""Rewards an event (birthday, anniversary, referral) has earned an account but not yet
granted, as the guest sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpxs.domain.money import from_units
from openpxs.domain.program import WalletDef
from openpxs.services.context import Call


@dataclass(frozen=True)
class PendingReward:
    event_name: str
    wallet: WalletDef
    quantity: Decimal
    expires_on: date | None


async def pending_rewards(call: Call, account_id: int) -> list[PendingReward]:
    """The account's pending rewards that can still be granted, oldest first."""
    program = call.program
    today = program.today(call.now)
    shown = []
    for reward in await call.uow.pending_rewards.of_account(call.merchant_id, account_id):
        wallet = program.wallets.get(reward.wallet_code)
        # Lapsed rewards will never be granted; a wallet no longer configured cannot be
        # scaled or labelled, nor granted either.
        if wallet is None or (reward.expires_on is not None and reward.expires_on < today):
            continue
        shown.append(
            PendingReward(
                reward.event_name,
                wallet,
                from_units(reward.units, wallet.scale),
                reward.expires_on,
            )
        )
    return shown

"""What the hosted guest website shows a signed-in guest: their account (balances by
wallet, rewards, tier, cards) and its history, read by the same use cases the Guest
Service answers with, and the cards the guest adds (guest/attachCard.json's use case)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.program import WalletDef
from openpxs.services import guest_cards
from openpxs.services.account_overview import (
    AccountOverview,
    UserOverview,
    account_overview,
    user_overview,
)
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_id, user_for
from openpxs.services.history import HistoryEntry, account_history
from openpxs.store.repositories.users import User

# The site shows the latest transactions only; the API pages through the rest.
HISTORY_ROWS = 50


@dataclass(frozen=True)
class GuestHome:
    user: User
    # None: the guest has no active account.
    overview: AccountOverview | None
    tier: str | None
    # The primary card of each of the guest's active accounts, oldest first.
    cards: tuple[str, ...] = ()

    @property
    def balances(self) -> list[tuple[WalletDef, Decimal]]:
        if self.overview is None:
            return []
        return [(w, q) for w, q in self.overview.view.balances if w.kind != "reward"]

    @property
    def rewards(self) -> list[tuple[WalletDef, Decimal]]:
        if self.overview is None:
            return []
        return [(w, q) for w, q in self.overview.view.balances if w.kind == "reward" and q > 0]


async def _primary_account(call: Call, found: UserOverview) -> AccountOverview | None:
    if not found.account_ids:
        return None
    return await account_overview(call, await account_by_id(call, found.account_ids[0]))


async def guest_home(call: Call) -> GuestHome:
    """The signed-in guest, their primary account as the Guest Service shows it, and the
    name of their tier."""
    user = await user_for(call, None)
    found = await user_overview(call, user)
    overview = await _primary_account(call, found)
    tier = None
    if overview is not None:
        code = await call.uow.standing.tier_of(call.merchant_id, overview.ref.account_id)
        tier = next((t.name for t in call.program.loyalty.tiers if t.code == code), None)
    return GuestHome(user, overview, tier, cards=tuple(found.primary_cards))


async def guest_history(call: Call) -> list[HistoryEntry]:
    """The latest transactions of the signed-in guest's primary account."""
    user = await user_for(call, None)
    found = await user_overview(call, user)
    if not found.account_ids:
        return []
    ref = await account_by_id(call, found.account_ids[0])
    if not call.principal.may_reach(ref.account_id, ref.user_id):
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    return await account_history(
        call.uow, call.program, ref.account_id, ref.card_number, None, None, HISTORY_ROWS, False
    )


async def add_card(call: Call, number: str, registration_code: str) -> None:
    """Attach a card the signed-in guest holds, as guest/attachCard.json does: the card's
    registration code proves it, and wrong guesses count against the guest's address."""
    user = await user_for(call, None)
    await guest_cards.attach_card(
        call.uow,
        call.program,
        call.online_stamp(),
        user,
        number,
        registration_code,
        for_guest=call.principal.is_guest,
        source=call.guesser,
    )

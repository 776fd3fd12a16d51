"""What the hosted guest website shows a signed-in guest: their account (balances by
wallet, rewards, tier, cards) and its history, read by the same use cases the Guest
Service answers with; the cards the guest adds (guest/attachCard.json's use case); and
the profile and password they change, through the use case of enrollment/editUser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openpxs.domain.earning import NextConversion, next_conversions
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import FieldSetting
from openpxs.domain.program import WalletDef
from openpxs.services import guest_cards, oauth, standing
from openpxs.services.account_edits import edit_user_fields
from openpxs.services.account_overview import (
    AccountOverview,
    UserOverview,
    account_overview,
    user_overview,
)
from openpxs.services.balances import Expiring
from openpxs.services.context import Call
from openpxs.services.enrollment import template_of
from openpxs.services.guest_access import account_by_id, user_for
from openpxs.services.history import HistoryEntry, account_history
from openpxs.services.standing import TierProgress
from openpxs.store.repositories.users import User

# The site shows the latest transactions only; the API pages through the rest.
HISTORY_ROWS = 50
# The fields the profile page offers, when the guest's form has them: names and ways
# to reach the guest. The login has its own page; a birth date (birthday rewards) and
# the offers opt-in are not changed here.
PROFILE_FIELDS = ("firstName", "lastName", "email", "mobilePhone", "phone", "postalCode")


@dataclass(frozen=True)
class GuestHome:
    user: User
    # None: the guest has no active account.
    overview: AccountOverview | None
    tier: str | None
    # The primary card of each of the guest's active accounts, oldest first.
    cards: tuple[str, ...] = ()
    # The tier above the guest's, with its thresholds against what the account earned.
    progress: TierProgress | None = None
    # What each automatic conversion (points into a reward) still lacks.
    next_rewards: tuple[RewardGoal, ...] = ()

    def expiring(self, wallet: WalletDef) -> list[Expiring]:
        return self.overview.expiring.get(wallet.code, []) if self.overview else []

    def wallet(self, code: int | None) -> WalletDef | None:
        return self.wallets.get(code) if code is not None else None

    @property
    def wallets(self) -> dict[int, WalletDef]:
        if self.overview is None:
            return {}
        return {w.code: w for w, _ in self.overview.view.balances}

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


@dataclass(frozen=True)
class RewardGoal:
    """How much more of a wallet (points) turns into the next of a reward."""

    goal: NextConversion
    from_wallet: WalletDef
    to_wallet: WalletDef


def _reward_goals(call: Call, overview: AccountOverview) -> tuple[RewardGoal, ...]:
    wallets = call.program.wallets
    balances = {w.code: q for w, q in overview.view.balances}
    return tuple(
        RewardGoal(goal, wallets[goal.rule.from_wallet], wallets[goal.rule.to_wallet])
        for goal in next_conversions(call.program.loyalty.conversions, balances)
        if goal.rule.from_wallet in balances and goal.rule.to_wallet in wallets
    )


async def _primary_account(call: Call, found: UserOverview) -> AccountOverview | None:
    if not found.account_ids:
        return None
    return await account_overview(call, await account_by_id(call, found.account_ids[0]))


async def guest_home(call: Call) -> GuestHome:
    """The signed-in guest, their primary account as the Guest Service shows it (with
    the value that expires), their tier and how far the next tier and the next reward
    are."""
    user = await user_for(call, None)
    found = await user_overview(call, user)
    overview = await _primary_account(call, found)
    if overview is None:
        return GuestHome(user, None, None, cards=tuple(found.primary_cards))
    progress = await standing.tier_progress(
        call.uow, call.program, overview.ref.account_id, call.now
    )
    return GuestHome(
        user,
        overview,
        progress.current.name if progress.current else None,
        cards=tuple(found.primary_cards),
        progress=progress,
        next_rewards=_reward_goals(call, overview),
    )


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


@dataclass(frozen=True)
class Profile:
    user: User
    # The profile fields of the form of the guest's card template, in PROFILE_FIELDS order.
    settings: list[FieldSetting]


async def guest_profile(call: Call) -> Profile:
    """The signed-in guest and the profile fields their account's form offers."""
    user = await user_for(call, None)
    code = await call.uow.accounts.template_of(call.merchant_id, user.account_id)
    form = template_of(call.program, code).form
    settings = [form[n] for n in PROFILE_FIELDS if n in form and form[n].scope == "user"]
    return Profile(user, settings)


async def edit_profile(call: Call, values: dict[str, str]) -> None:
    """Change the signed-in guest's profile fields as editUser does (an empty value
    clears an optional field); refused with the problem of each field."""
    profile = await guest_profile(call)
    sent: dict[str, object] = {"style": "string"}
    sent.update({s.name: values.get(s.name, "") for s in profile.settings})
    await edit_user_fields(call, None, sent, None)


async def change_password(call: Call, current: str, new: str) -> oauth.TokenSet:
    """Change the signed-in guest's password once the current one is proven (counted
    against the same limits as a sign-in), then end every sign-in of the guest and start
    a new one for the site: whoever else knew the old password is signed out."""
    user = await user_for(call, None)
    await oauth.check_password(
        call.uow, call.program, user.username or "", current, call.now, call.guesser
    )
    await edit_user_fields(call, None, {"style": "string", "password": new}, None)
    await call.uow.tokens.revoke_user(call.merchant_id, user.id, call.now)
    scope = " ".join(sorted(call.principal.scopes or ())) or oauth.DEFAULT_SCOPE
    return await oauth.issue_tokens(call.uow, call.program, call.integration, user, scope, call.now)


async def change_username(call: Call, current_password: str, new_username: str) -> None:
    """Change the signed-in guest's username as editUser does (the template's rule for
    it, unique as the template says) once the current password is proven, counted
    against the same limits as a sign-in of the current username. Sign-ins go on: they
    belong to the guest, not to the name."""
    user = await user_for(call, None)
    await oauth.check_password(
        call.uow, call.program, user.username or "", current_password, call.now, call.guesser
    )
    await edit_user_fields(call, None, {"style": "string", "username": new_username}, None)

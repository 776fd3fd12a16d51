"""Which cards, accounts and users a call may reach.

A b2b call acts for the whole merchant. A guest style (oauth, guest, email, card) acts for
one guest: an oauth/guest/email caller reaches the accounts of its own user, a card caller
the account of its card. Anything else is refused exactly as if it did not exist, so one
guest cannot learn whether another guest's card or username is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.errors import CardNotFound, Reason, Refused
from openpxs.services.context import Call
from openpxs.store.repositories.users import User


@dataclass(frozen=True)
class AccountRef:
    account_id: int
    template_code: int
    status: AccountStatus
    user_id: int | None
    # The card the caller named (or the primary card when addressed by account id).
    card_number: str
    card_status: CardStatus

    @property
    def in_use(self) -> bool:
        """Both the account and the card can transact."""
        return self.status == AccountStatus.ACTIVE and self.card_status == CardStatus.ACTIVE


async def account_by_card(call: Call, number: str | None) -> AccountRef:
    """The account of a card the caller may reach."""
    found = await call.uow.cards.with_account(call.merchant_id, number) if number else None
    if found is None:
        raise CardNotFound()
    card, account = found
    if not call.principal.may_reach(account.id, account.user_id):
        raise CardNotFound()
    return AccountRef(
        account.id, account.template_code, account.status, account.user_id, card.number, card.status
    )


async def account_by_id(call: Call, account_id: int | None) -> AccountRef:
    """An account the caller may reach, with its primary card."""
    account = (
        await call.uow.accounts.get(call.merchant_id, account_id)
        if account_id is not None
        else None
    )
    if account is None or not call.principal.may_reach(account.id, account.user_id):
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    number = await call.uow.users.primary_card(call.merchant_id, account.id)
    card = await call.uow.cards.find(call.merchant_id, number) if number is not None else None
    if card is None:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    return AccountRef(
        account.id, account.template_code, account.status, account.user_id, card.number, card.status
    )


async def user_for(call: Call, username: str | None) -> User:
    """The user a call is about: by username for b2b, the signed-in guest otherwise.

    A guest may name their own username; naming anyone else's is "not found".
    """
    principal = call.principal
    if principal.is_guest:
        user = (
            await call.uow.users.by_id(call.merchant_id, principal.user_id)
            if principal.user_id is not None
            else None
        )
        if user is None or (
            username and (user.username or "").strip().lower() != username.strip().lower()
        ):
            raise Refused(Reason.USER_NOT_FOUND)
        return user
    if not username:
        raise Refused(Reason.USER_NOT_FOUND)
    found = await call.uow.users.by_unique(call.merchant_id, "username", username)
    if found is None:
        raise Refused(Reason.USER_NOT_FOUND)
    return found

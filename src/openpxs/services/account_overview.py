"""What the Guest Service shows of an account and of a registered user: balances, state,
cards, enrollment details; the user's fields, accounts and addresses."""

from __future__ import annotations

from dataclasses import dataclass, field

from openpxs.domain.cards import AccountStatus, Card, CardStatus
from openpxs.services.balances import (
    AccountView,
    Expiring,
    account_view,
    coming_expirations,
    view_of,
)
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef
from openpxs.store.repositories.accounts import AccountDetails, ExternalAccount
from openpxs.store.repositories.users import Address, User


@dataclass(frozen=True)
class AccountCards:
    # The oldest active card (the oldest card, when none is active).
    primary: Card
    additional: list[Card]


@dataclass(frozen=True)
class AccountOverview:
    ref: AccountRef
    view: AccountView
    # The registered user owning the account, if any.
    user: User | None
    cards: AccountCards
    details: AccountDetails
    external_accounts: list[ExternalAccount]
    # By wallet code: the value that lapses and when (an account in use only).
    expiring: dict[int, list[Expiring]] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        return self.user is not None and self.user.username is not None


@dataclass(frozen=True)
class UserOverview:
    user: User
    # The user's active accounts, oldest first, and the primary card of each.
    account_ids: list[int]
    primary_cards: list[str]
    addresses: list[Address]


async def account_cards(call: Call, account_id: int) -> AccountCards:
    """Every card of the account: the primary one and the others, oldest first."""
    cards = await call.uow.cards.of_account(call.merchant_id, account_id)
    active = [c for c in cards if c.status == CardStatus.ACTIVE]
    primary = (active or cards)[0]
    return AccountCards(primary, [c for c in cards if c is not primary])


async def account_overview(call: Call, ref: AccountRef) -> AccountOverview:
    """The account behind a card as the guest sees it. An active account's lapsed value
    is written off first, so the balances shown are the ones a purchase would meet; an
    account not in use is only read."""
    uow, program, merchant_id = call.uow, call.program, call.merchant_id
    expiring: dict[int, list[Expiring]] = {}
    if ref.status == AccountStatus.ACTIVE:
        await lock_active_account(uow, merchant_id, ref.account_id)
        book = await open_settled_book(uow, program, ref.account_id, call.online_stamp())
        view = view_of(book, program, ref.card_number, ref.template_code)
        expiring = coming_expirations(book, program, call.now)
    else:
        view = await account_view(uow, program, ref.card_number, ref.account_id, ref.template_code)
    user = await uow.users.by_id(merchant_id, ref.user_id) if ref.user_id is not None else None
    details = await uow.accounts.details(merchant_id, ref.account_id)
    assert details is not None  # the ref was read in this unit of work
    return AccountOverview(
        ref=ref,
        view=view,
        user=user,
        cards=await account_cards(call, ref.account_id),
        details=details,
        external_accounts=await uow.accounts.external_accounts(merchant_id, ref.account_id),
        expiring=expiring,
    )


async def user_overview(call: Call, user: User) -> UserOverview:
    uow, merchant_id = call.uow, call.merchant_id
    account_ids = await uow.users.accounts_of(merchant_id, user.id)
    primaries = await uow.users.primary_cards(merchant_id, account_ids)
    return UserOverview(
        user=user,
        account_ids=account_ids,
        primary_cards=[primaries[a] for a in account_ids if a in primaries],
        addresses=await uow.users.addresses_of(merchant_id, user.id),
    )

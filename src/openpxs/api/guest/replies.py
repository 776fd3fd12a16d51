"""Building the account and user replies of the Guest Service."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpxs.api.guest import models as m
from openpxs.domain.cards import AccountStatus, Card, CardStatus, mask
from openpxs.domain.program import Program, WalletDef
from openpxs.services.account_overview import AccountCards, AccountOverview, UserOverview
from openpxs.services.balances import Expiring
from openpxs.store.repositories.users import User

# Card and account states as guest.yaml spells them.
CARD_STATUS = {
    CardStatus.ACTIVE: "ACTIVE",
    CardStatus.INACTIVE: "INACTIVE",
    CardStatus.EXCHANGED: "EXCHANGED",
    CardStatus.DISABLED: "DISABLED",
}
ACCOUNT_STATUS = {
    AccountStatus.ACTIVE: "ACTIVE",
    AccountStatus.SUSPENDED: "SUSPENDED",
    AccountStatus.CLOSED: "CLOSED",
}
# Wallet kinds listed among pointBalances.
POINT_KINDS = ("points", "count")
# Kept on the user row, shown among the fields but never settable through a FieldSet.
INTERNAL_FIELDS = {"password"}


def card_information(card: Card) -> m.CardInformation:
    return m.CardInformation(
        printedCardNumber=card.number,
        maskedCardNumber=mask(card.number),
        status=CARD_STATUS[card.status],
    )


def cards_information(
    cards: AccountCards,
) -> tuple[m.CardInformation, list[m.CardInformation]]:
    """(primary card, additional cards) as the replies list them."""
    return card_information(cards.primary), [card_information(c) for c in cards.additional]


def wallet_balance(
    wallet: WalletDef, balance: Decimal, expiring: list[Expiring] | None = None
) -> m.WalletBalanceOut:
    """One wallet's balance; with ``expiring``, the value that lapses and the day it
    does (the account page of the guest website shows the same)."""
    return m.WalletBalanceOut(
        walletCode=wallet.code,
        name=wallet.name,
        balance=balance,
        description=wallet.description,
        giftable=wallet.giftable,
        expirations=(
            [{"expirationDate": e.day, "quantity": e.quantity} for e in expiring]
            if expiring
            else None
        ),
    )


def point_balances(balances: Iterable[tuple[WalletDef, Decimal]]) -> list[m.WalletBalanceOut]:
    return [wallet_balance(w, b) for w, b in balances if w.kind in POINT_KINDS]


def account_fields(program: Program, account: AccountOverview) -> dict[str, Any]:
    out: dict[str, Any] = {"enrollDate": program.today(account.details.created_at).isoformat()}
    for name, value in account.details.fields.items():
        if name == "favoriteStore" and isinstance(value, dict):
            code = str(value.get("code"))
            store = program.stores.get(code)
            out[name] = {"code": code, "label": store.name if store else None}
        elif value is not None:
            out[name] = value
    out["externalAccounts"] = [
        {"externalIdentifier": e.external_identifier, "accountCode": e.account_code}
        for e in account.external_accounts
    ]
    return out


def _enroll_store(program: Program, code: str | None) -> m.StoreRef | None:
    if code is None:
        return None
    store = program.stores.get(code)
    return m.StoreRef(code=code, label=store.name if store else None)


def account_information(program: Program, account: AccountOverview) -> m.AccountInformationReply:
    """The account behind a card: status, registration, program, fields, cards, balances.

    ``invalid_status`` instead of success when the card or account is not in use (the
    balances are still shown, for the client to decide what to display).
    """
    ref, view = account.ref, account.view
    balances = [
        (wallet, wallet_balance(wallet, balance, account.expiring.get(wallet.code)))
        for wallet, balance in view.balances
    ]
    sv_wallet = program.stored_value_wallet(ref.template_code)
    template = program.templates.get(ref.template_code)
    primary, additional = cards_information(account.cards)
    registered = account.registered
    return m.AccountInformationReply(
        result="success" if ref.in_use else "invalid_status",
        username=account.user.username if registered and account.user else None,
        accountId=ref.account_id,
        accountStatus=ACCOUNT_STATUS[ref.status],
        queryCardStatus=CARD_STATUS[ref.card_status],
        isRegistered="true" if registered else "false",
        registrationStatus="REGISTERED" if registered else "UNREGISTERED",
        cardTemplateCode=ref.template_code,
        cardTemplateLabel=template.name if template else str(ref.template_code),
        enrollmentStore=_enroll_store(program, account.details.enroll_store_code),
        fields=account_fields(program, account),
        primaryCard=primary,
        additionalCards=additional,
        pointBalances=[b for w, b in balances if w.kind in POINT_KINDS],
        rewardBalances=[b for w, b in balances if w.kind == "reward"],
        storedValueBalance=next(
            (b for w, b in balances if sv_wallet is not None and w.code == sv_wallet.code), None
        ),
        walletBalances=[b for _, b in balances],
    )


def user_fields(user: User) -> dict[str, Any]:
    """The user's fields as clients read them: blanks left out, the password never shown."""
    out = {
        k: v
        for k, v in user.fields.items()
        if k not in INTERNAL_FIELDS and v is not None and v != ""
    }
    out["emailVerified"] = user.email_verified
    out["smsOptInVerified"] = user.sms_opt_in_verified
    if user.language:
        out["language"] = user.language
    if user.message_frequency:
        out["messageFrequency"] = user.message_frequency
    return out


def user_information(overview: UserOverview) -> m.UserInformationReply:
    return m.UserInformationReply(
        fields=user_fields(overview.user),
        primaryCardNumbers=overview.primary_cards,
        accountIds=overview.account_ids,
        addresses=[
            m.Address(
                addressId=a.id,
                label=a.label,
                address1=a.address1,
                address2=a.address2,
                city=a.city,
                stateProvince=a.state_province,
                postalCode=a.postal_code,
                country=a.country,
            )
            for a in overview.addresses
        ],
    )


def user_and_account_information(
    program: Program, account: AccountOverview
) -> m.UserAndAccountInformationReply:
    """The account members at the top level, plus the user's fields when registered."""
    reply = account_information(program, account)
    return m.UserAndAccountInformationReply(
        **reply.model_dump(exclude_none=True),
        userFields=user_fields(account.user) if account.user is not None else None,
    )

"""Building the account and user replies of the Guest Service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from openpxs.api.guest import models as m
from openpxs.domain.program import Program
from openpxs.services.balances import account_view, view_of
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.services.guest_access import AccountRef
from openpxs.store.repositories.users import User
from openpxs.store.tables import accounts, cards, external_accounts, user_addresses
from openpxs.wire.context import CallContext

CARD_STATUS = {
    "active": "ACTIVE",
    "inactive": "INACTIVE",
    "exchanged": "EXCHANGED",
    "disabled": "DISABLED",
}
ACCOUNT_STATUS = {"active": "ACTIVE", "suspended": "SUSPENDED", "closed": "CLOSED"}
# Kept on the user row, shown among the fields but never settable through a FieldSet.
INTERNAL_FIELDS = {"password"}


def masked(number: str) -> str:
    # The documented examples show the last six digits.
    return number[-6:]


def card_information(number: str, status: str) -> m.CardInformation:
    return m.CardInformation(
        printedCardNumber=number,
        maskedCardNumber=masked(number),
        status=CARD_STATUS.get(status, status.upper()),
    )


async def account_cards(
    ctx: CallContext, account_id: int
) -> tuple[m.CardInformation, list[m.CardInformation]]:
    """(primary card, additional cards): the oldest active card is the primary."""
    rows = (
        await ctx.uow.conn.execute(
            select(cards.c.printed_card_number, cards.c.status)
            .where(cards.c.merchant_id == ctx.merchant_id, cards.c.account_id == account_id)
            .order_by(cards.c.id)
        )
    ).all()
    active = [r for r in rows if r.status == "active"]
    primary = (active or rows)[0]
    others = [r for r in rows if r is not primary]
    return (
        card_information(primary.printed_card_number, primary.status),
        [card_information(r.printed_card_number, r.status) for r in others],
    )


async def account_fields(ctx: CallContext, program: Program, account_id: int) -> dict[str, Any]:
    row = (
        await ctx.uow.conn.execute(
            select(accounts.c.fields, accounts.c.created_at).where(
                accounts.c.merchant_id == ctx.merchant_id, accounts.c.id == account_id
            )
        )
    ).one()
    out: dict[str, Any] = {"enrollDate": program.today(row.created_at).isoformat()}
    for name, value in (row.fields or {}).items():
        if name == "favoriteStore" and isinstance(value, dict):
            code = str(value.get("code"))
            store = program.stores.get(code)
            out[name] = {"code": code, "label": store.name if store else None}
        elif value is not None:
            out[name] = value
    externals = (
        await ctx.uow.conn.execute(
            select(external_accounts.c.external_identifier, external_accounts.c.account_code)
            .where(
                external_accounts.c.merchant_id == ctx.merchant_id,
                external_accounts.c.account_id == account_id,
            )
            .order_by(external_accounts.c.id)
        )
    ).all()
    out["externalAccounts"] = [
        {"externalIdentifier": e.external_identifier, "accountCode": e.account_code}
        for e in externals
    ]
    return out


async def account_information(
    ctx: CallContext, program: Program, ref: AccountRef
) -> m.AccountInformationReply:
    """The account behind a card: status, registration, program, fields, cards, balances.

    ``invalid_status`` instead of success when the card or account is not in use (the
    balances are still shown, for the client to decide what to display).
    """
    if ref.status == "active":
        await lock_active_account(ctx.uow, ctx.merchant_id, ref.account_id)
        book = await open_settled_book(ctx.uow, program, ref.account_id, ctx.online_stamp())
        view = view_of(book, program, ref.card_number, ref.template_code)
    else:
        view = await account_view(
            ctx.uow, program, ref.card_number, ref.account_id, ref.template_code
        )
    user = (
        await ctx.uow.users.by_id(ctx.merchant_id, ref.user_id) if ref.user_id is not None else None
    )
    registered = user is not None and user.username is not None
    primary, additional = await account_cards(ctx, ref.account_id)
    balances = []
    for wallet, balance in view.balances:
        balances.append(
            (
                wallet,
                m.WalletBalanceOut(
                    walletCode=wallet.code,
                    name=wallet.name,
                    balance=balance,
                    description=wallet.description,
                    giftable=wallet.giftable,
                ),
            )
        )
    sv_wallet = program.stored_value_wallet(ref.template_code)
    template = program.templates.get(ref.template_code)
    enroll_store = await _enroll_store(ctx, program, ref.account_id)
    in_use = ref.status == "active" and ref.card_status == "active"
    return m.AccountInformationReply(
        result="success" if in_use else "invalid_status",
        username=user.username if registered and user else None,
        accountId=ref.account_id,
        accountStatus=ACCOUNT_STATUS.get(ref.status, ref.status.upper()),
        queryCardStatus=CARD_STATUS.get(ref.card_status, ref.card_status.upper()),
        isRegistered="true" if registered else "false",
        registrationStatus="REGISTERED" if registered else "UNREGISTERED",
        cardTemplateCode=ref.template_code,
        cardTemplateLabel=template.name if template else str(ref.template_code),
        enrollmentStore=enroll_store,
        fields=await account_fields(ctx, program, ref.account_id),
        primaryCard=primary,
        additionalCards=additional,
        pointBalances=[b for w, b in balances if w.kind in ("points", "count")],
        rewardBalances=[b for w, b in balances if w.kind == "reward"],
        storedValueBalance=next(
            (b for w, b in balances if sv_wallet is not None and w.code == sv_wallet.code), None
        ),
        walletBalances=[b for _, b in balances],
    )


async def _enroll_store(ctx: CallContext, program: Program, account_id: int) -> m.StoreRef | None:
    code = (
        await ctx.uow.conn.execute(
            select(accounts.c.enroll_store_code).where(
                accounts.c.merchant_id == ctx.merchant_id, accounts.c.id == account_id
            )
        )
    ).scalar()
    if code is None:
        return None
    store = program.stores.get(code)
    return m.StoreRef(code=code, label=store.name if store else None)


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


async def user_information(ctx: CallContext, user: User) -> m.UserInformationReply:
    account_ids = await ctx.uow.users.accounts_of(ctx.merchant_id, user.id)
    primaries = await ctx.uow.users.primary_cards(ctx.merchant_id, account_ids)
    addresses = (
        await ctx.uow.conn.execute(
            select(user_addresses)
            .where(
                user_addresses.c.merchant_id == ctx.merchant_id,
                user_addresses.c.user_id == user.id,
            )
            .order_by(user_addresses.c.id)
        )
    ).all()
    return m.UserInformationReply(
        fields=user_fields(user),
        primaryCardNumbers=[primaries[a] for a in account_ids if a in primaries],
        accountIds=account_ids,
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
            for a in addresses
        ],
    )

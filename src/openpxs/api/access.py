"""Which cards, accounts and users a call may reach.

A b2b call acts for the whole merchant. A guest style (oauth, guest, email, card) acts for
one guest: an oauth/guest/email caller reaches the accounts of its own user, a card caller
the account of its card. Anything else is answered exactly as if it did not exist, so one
guest cannot learn whether another guest's card or username is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from openpxs.store import users as user_store
from openpxs.store.tables import accounts, cards
from openpxs.store.users import User
from openpxs.wire.context import CallContext, Principal
from openpxs.wire.envelope import ServiceFailure


@dataclass(frozen=True)
class AccountRef:
    account_id: int
    template_code: int
    status: str
    user_id: int | None
    # The card the caller named (or the primary card when addressed by account id).
    card_number: str
    card_status: str


def may_reach(principal: Principal, account_id: int, user_id: int | None) -> bool:
    if not principal.is_guest:
        return True
    if principal.style == "card":
        return principal.account_id == account_id
    return principal.user_id is not None and principal.user_id == user_id


async def account_by_card(
    ctx: CallContext, number: str | None, *, not_found: str, message: str = "Card not found"
) -> AccountRef:
    """The account of a card the caller may reach; ``not_found`` otherwise."""
    if not number:
        raise ServiceFailure(not_found, message)
    row = (
        await ctx.conn.execute(
            select(
                cards.c.printed_card_number,
                cards.c.status.label("card_status"),
                accounts.c.id,
                accounts.c.template_code,
                accounts.c.status,
                accounts.c.user_id,
            )
            .select_from(
                cards.join(
                    accounts,
                    (accounts.c.merchant_id == cards.c.merchant_id)
                    & (accounts.c.id == cards.c.account_id),
                )
            )
            .where(cards.c.merchant_id == ctx.merchant_id, cards.c.printed_card_number == number)
        )
    ).first()
    if row is None or not may_reach(ctx.principal, row.id, row.user_id):
        raise ServiceFailure(not_found, message)
    return AccountRef(
        account_id=row.id,
        template_code=row.template_code,
        status=row.status,
        user_id=row.user_id,
        card_number=row.printed_card_number,
        card_status=row.card_status,
    )


async def account_by_id(
    ctx: CallContext,
    account_id: int | None,
    *,
    not_found: str,
    message: str = "Account not found",
) -> AccountRef:
    if account_id is None:
        raise ServiceFailure(not_found, message)
    row = (
        await ctx.conn.execute(
            select(accounts).where(
                accounts.c.merchant_id == ctx.merchant_id, accounts.c.id == account_id
            )
        )
    ).first()
    if row is None or not may_reach(ctx.principal, row.id, row.user_id):
        raise ServiceFailure(not_found, message)
    primary = await user_store.primary_cards(ctx.conn, ctx.merchant_id, [row.id])
    number = primary.get(row.id)
    if number is None:
        raise ServiceFailure(not_found, message)
    status = (
        await ctx.conn.execute(
            select(cards.c.status).where(
                cards.c.merchant_id == ctx.merchant_id, cards.c.printed_card_number == number
            )
        )
    ).scalar_one()
    return AccountRef(
        account_id=row.id,
        template_code=row.template_code,
        status=row.status,
        user_id=row.user_id,
        card_number=number,
        card_status=status,
    )


async def user_for(
    ctx: CallContext,
    username: str | None,
    *,
    not_found: str = "user_info.not_found",
    message: str = "The user was not found",
) -> User:
    """The user a call is about: by username for b2b, the signed-in guest otherwise.

    A guest may name their own username; naming anyone else's is "not found".
    """
    principal = ctx.principal
    if principal.is_guest:
        user = (
            await user_store.user_by_id(ctx.conn, ctx.merchant_id, principal.user_id)
            if principal.user_id is not None
            else None
        )
        if user is None or (
            username and (user.username or "").strip().lower() != username.strip().lower()
        ):
            raise ServiceFailure(not_found, message)
        return user
    if not username:
        raise ServiceFailure(not_found, message)
    found = await user_store.user_by_unique(ctx.conn, ctx.merchant_id, "username", username)
    if found is None:
        raise ServiceFailure(not_found, message)
    return found

"""Guest Service: account and user information and transaction history."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.replies import account_information, user_fields, user_information
from openpxs.api.guest.service import BY_CARD, BY_ID, GUEST
from openpxs.api.history import history_reply
from openpxs.api.transaction.models import TransactionHistoryReply
from openpxs.domain.cards import CardRef
from openpxs.services import history
from openpxs.services.guest_access import account_by_card, account_by_id, user_for
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "guest.card_not_found"
ACCOUNT_NOT_FOUND = "guest.account_not_found"


@endpoint(
    GUEST,
    "accountInformation",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.AccountInformationReply,
    styles=("oauth", "card", "guest", "b2b"),
    summary="Balances and status of the account behind a card",
    errors=(CARD_NOT_FOUND, "guest.invalid_registration_code", "invalid_token"),
    scope="account_read",
)
async def account_information_by_card(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.AccountInformationReply:
    """Any card of the account may be named; the primary card is reported separately.
    With card authentication this also checks a card number and registration code
    before enrollment/register."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await account_information(ctx, program, ref)


@endpoint(
    GUEST,
    "accountInformationById",
    method="GET",
    request=m.AccountIdRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Balances and status of an account by its id",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def account_information_by_id(
    ctx: CallContext, req: m.AccountIdRequest
) -> m.AccountInformationReply:
    program = ctx.program
    ref = await account_by_id(ctx, req.accountId)
    return await account_information(ctx, program, ref)


@endpoint(
    GUEST,
    "userInformation",
    method="GET",
    request=m.UsernameRequest,
    reply=m.UserInformationReply,
    styles=("oauth", "guest", "b2b"),
    summary="The registered user's fields, cards, account ids and addresses",
    errors=("user_info.not_found", "invalid_token"),
    scope="user_read",
)
async def user_information_by_username(
    ctx: CallContext, req: m.UsernameRequest
) -> m.UserInformationReply:
    """Blank fields are left out; the password is never returned. A signed-in guest
    may leave out the username or give their own."""
    return await user_information(ctx, await user_for(ctx, req.username))


@endpoint(
    GUEST,
    "userInformationByPrintedCardNumber",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.UserInformationReply,
    styles=BY_CARD,
    summary="The registered user of the account behind a card",
    errors=(CARD_NOT_FOUND, "guest.card_not_registered", "invalid_token"),
    scope="user_read",
)
async def user_information_by_card(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.UserInformationReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if user is None:
        raise ServiceFailure("guest.card_not_registered", "Card is not registered to a user")
    return await user_information(ctx, user)


@endpoint(
    GUEST,
    "userInformationByAccountId",
    method="GET",
    request=m.AccountIdRequest,
    reply=m.UserInformationReply,
    styles=BY_ID,
    summary="The registered user of an account",
    errors=(ACCOUNT_NOT_FOUND, "user_info.not_found", "invalid_token"),
    scope="user_read",
)
async def user_information_by_account(
    ctx: CallContext, req: m.AccountIdRequest
) -> m.UserInformationReply:
    ref = await account_by_id(ctx, req.accountId)
    user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if user is None:
        raise ServiceFailure("user_info.not_found", "The user was not found")
    return await user_information(ctx, user)


@endpoint(
    GUEST,
    "userAndAccountInformation",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.UserAndAccountInformationReply,
    styles=BY_CARD,
    summary="Account information and the user's fields in one reply",
    errors=(CARD_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def user_and_account_information(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.UserAndAccountInformationReply:
    """The account members at the top level, as accountInformation, plus userFields
    when the account is registered."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    account = await account_information(ctx, program, ref)
    user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    return m.UserAndAccountInformationReply(
        **account.model_dump(exclude_none=True),
        userFields=user_fields(user) if user is not None else None,
    )


async def _history(
    ctx: CallContext, card_number: str, req: m.HistoryFilters
) -> TransactionHistoryReply:
    program = ctx.program
    entries = await history.history(
        ctx.uow,
        program,
        CardRef(card_number),
        req.dateStart or req.startDate,
        req.dateEnd or req.endDate,
        req.maxNumberOfResults,
        only_balance_affecting=False,
    )
    return history_reply(program, entries, GUEST.success)


@endpoint(
    GUEST,
    "transactionHistory",
    method="GET",
    request=m.HistoryByCardRequest,
    reply=TransactionHistoryReply,
    styles=BY_CARD,
    summary="The account's transactions, newest first, with walletInfo",
    errors=(CARD_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def transaction_history(
    ctx: CallContext, req: m.HistoryByCardRequest
) -> TransactionHistoryReply:
    """Dates are the merchant's local days; startDate/dateStart and endDate/dateEnd are
    both accepted."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _history(ctx, ref.card_number, req)


@endpoint(
    GUEST,
    "transactionHistoryById",
    method="GET",
    request=m.HistoryByIdRequest,
    reply=TransactionHistoryReply,
    styles=BY_ID,
    summary="Transaction history of an account by its id",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def transaction_history_by_id(
    ctx: CallContext, req: m.HistoryByIdRequest
) -> TransactionHistoryReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _history(ctx, ref.card_number, req)

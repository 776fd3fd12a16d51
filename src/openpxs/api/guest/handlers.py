"""Guest Service: account and user information, by card, account id, username, external
account code or eClub membership.

Handlers translate wire objects into use-case calls and outcomes into replies; the
wire layer has already checked credentials, style, merchant and shape.
"""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import BY_CARD, BY_ID, GUEST
from openpxs.api.guest.replies import (
    account_information,
    cards_information,
    user_and_account_information,
    user_information,
)
from openpxs.domain.errors import Reason as R
from openpxs.services.account_lookup import (
    cards_of_external_account,
    eclub_account,
    eclub_member,
    registered_owner,
)
from openpxs.services.account_overview import account_overview, user_overview
from openpxs.services.guest_access import AccountRef, account_by_card, account_by_id, user_for
from openpxs.store.repositories.users import User
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# An account read writes off lapsed value under the account's lock, which a concurrent
# void may have closed.
ACCOUNT_READ = (R.CARD_NOT_ACTIVE,)


async def _account(ctx: CallContext, ref: AccountRef) -> m.AccountInformationReply:
    return account_information(ctx.program, await account_overview(ctx, ref))


async def _user(ctx: CallContext, user: User) -> m.UserInformationReply:
    return user_information(await user_overview(ctx, user))


@endpoint(
    GUEST,
    "accountInformation",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.AccountInformationReply,
    styles=("oauth", "card", "guest", "b2b"),
    summary="Balances and status of the account behind a card",
    errors=(R.CARD_NOT_FOUND, *ACCOUNT_READ),
    scope="account_read",
)
async def account_information_by_card(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.AccountInformationReply:
    """Any card of the account may be named; the primary card is reported separately.
    With card authentication this also checks a card number and registration code
    before enrollment/register."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _account(ctx, ref)


@endpoint(
    GUEST,
    "accountInformationById",
    method="GET",
    request=m.AccountIdRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Balances and status of an account by its id",
    errors=(R.ACCOUNT_NOT_FOUND, *ACCOUNT_READ),
    scope="account_read",
)
async def account_information_by_id(
    ctx: CallContext, req: m.AccountIdRequest
) -> m.AccountInformationReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _account(ctx, ref)


@endpoint(
    GUEST,
    "userInformation",
    method="GET",
    request=m.UsernameRequest,
    reply=m.UserInformationReply,
    styles=("oauth", "guest", "b2b"),
    summary="The registered user's fields, cards, account ids and addresses",
    errors=(R.USER_NOT_FOUND,),
    scope="user_read",
)
async def user_information_by_username(
    ctx: CallContext, req: m.UsernameRequest
) -> m.UserInformationReply:
    """Blank fields are left out; the password is never returned. A signed-in guest
    may leave out the username or give their own."""
    user = await user_for(ctx, req.username)
    return await _user(ctx, user)


@endpoint(
    GUEST,
    "userInformationByPrintedCardNumber",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.UserInformationReply,
    styles=BY_CARD,
    summary="The registered user of the account behind a card",
    errors=(R.CARD_NOT_FOUND, R.CARD_NOT_REGISTERED),
    scope="user_read",
)
async def user_information_by_card(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.UserInformationReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    user = await registered_owner(ctx, ref)
    return await _user(ctx, user)


@endpoint(
    GUEST,
    "userInformationByAccountId",
    method="GET",
    request=m.AccountIdRequest,
    reply=m.UserInformationReply,
    styles=BY_ID,
    summary="The registered user of an account",
    errors=(R.ACCOUNT_NOT_FOUND, R.USER_NOT_FOUND),
    scope="user_read",
)
async def user_information_by_account(
    ctx: CallContext, req: m.AccountIdRequest
) -> m.UserInformationReply:
    ref = await account_by_id(ctx, req.accountId)
    user = await registered_owner(ctx, ref, unregistered=R.USER_NOT_FOUND)
    return await _user(ctx, user)


@endpoint(
    GUEST,
    "userAndAccountInformation",
    method="GET",
    request=m.CardNumberRequest,
    reply=m.UserAndAccountInformationReply,
    styles=BY_CARD,
    summary="Account information and the user's fields in one reply",
    errors=(R.CARD_NOT_FOUND, *ACCOUNT_READ),
    scope="account_read",
)
async def user_and_account(
    ctx: CallContext, req: m.CardNumberRequest
) -> m.UserAndAccountInformationReply:
    """The account members at the top level, as accountInformation, plus userFields
    when the account is registered."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    return user_and_account_information(ctx.program, await account_overview(ctx, ref))


@endpoint(
    GUEST,
    "printedCardNumberForExternalAccount",
    method="GET",
    request=m.ExternalAccountRequest,
    reply=m.PrintedCardNumberForExternalAccountReply,
    styles=("b2b",),
    summary="The cards of the account linked to an external account code",
    errors=(R.EXTERNAL_ACCOUNT_NOT_FOUND,),
)
async def printed_card_number_for_external_account(
    ctx: CallContext, req: m.ExternalAccountRequest
) -> m.PrintedCardNumberForExternalAccountReply:
    """The primary card and every other card (disabled ones too) of the active account
    whose external account has this accountCode. When one code is linked through several
    external systems to different accounts, externalIdentifier must say which."""
    cards = await cards_of_external_account(ctx, req.accountCode, req.externalIdentifier)
    primary, additional = cards_information(cards)
    return m.PrintedCardNumberForExternalAccountReply(
        primaryCard=primary, additionalCards=additional
    )


@endpoint(
    GUEST,
    "eClubAccountInformation",
    method="GET",
    request=m.EClubRequest,
    reply=m.AccountInformationReply,
    styles=("b2b", "oauth"),
    summary="Account information of an eClub membership, by e-mail or account id",
    errors=(R.ACCOUNT_NOT_FOUND, *ACCOUNT_READ),
    scope="account_read",
)
async def eclub_account_information(
    ctx: CallContext, req: m.EClubRequest
) -> m.AccountInformationReply:
    """accountId wins over email; a signed-in guest may send neither. Only accounts of a
    card template configured as an eClub (enrollment eclub: true) are found."""
    ref = await eclub_account(ctx, req.accountId, req.email)
    return await _account(ctx, ref)


@endpoint(
    GUEST,
    "eClubUserInformation",
    method="GET",
    request=m.EClubRequest,
    reply=m.UserInformationReply,
    styles=("b2b", "oauth"),
    summary="User information of an eClub member, by e-mail or account id",
    errors=(R.ACCOUNT_NOT_FOUND,),
    scope="user_read",
)
async def eclub_user_information(ctx: CallContext, req: m.EClubRequest) -> m.UserInformationReply:
    user = await eclub_member(ctx, req.accountId, req.email)
    return await _user(ctx, user)

"""Guest Service: referrals and referral codes."""

from __future__ import annotations

from openpxs.api.guest import models_more as mm
from openpxs.api.guest.service import BY_CARD, BY_ID, GUEST
from openpxs.services import referrals as service
from openpxs.services.guest_access import account_by_card, account_by_id, user_for
from openpxs.services.guest_cards import home_account
from openpxs.store.repositories.users import User
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "guest.card_not_found"
ACCOUNT_NOT_FOUND = "guest.account_not_found"
USER_NOT_FOUND = "user_info.not_found"


def _reply(rows: list[service.ReferralRow]) -> mm.ReferralsReply:
    return mm.ReferralsReply(
        referrals=[
            mm.Referral(
                email=r.email,
                firstName=r.first_name,
                lastName=r.last_name,
                status=r.status,
                referralDate=r.created_at.isoformat(),
            )
            for r in rows
        ]
    )


def _inputs(items: list[mm.ReferralInput]) -> list[service.ReferralInput]:
    return [service.ReferralInput(i.email, i.firstName, i.lastName) for i in items]


async def _user_account(ctx: CallContext, user: User) -> int:
    """The account a username-addressed call acts on: the user's primary account."""
    home = await home_account(ctx.uow, ctx.merchant_id, user)
    if home is None:
        raise ServiceFailure(USER_NOT_FOUND, "The user was not found")
    return home.id


async def _own_email(ctx: CallContext, account_id: int) -> str | None:
    user = await ctx.uow.users.of_account(ctx.merchant_id, account_id)
    return user.email if user is not None else None


async def _add(
    ctx: CallContext, account_id: int, items: list[mm.ReferralInput]
) -> mm.ReferralsReply:
    await service.add_referrals(
        ctx.uow,
        ctx.merchant_id,
        account_id,
        _inputs(items),
        await _own_email(ctx, account_id),
        ctx.now,
    )
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, [account_id]))


@endpoint(
    GUEST,
    "referrals",
    method="GET",
    request=mm.ReferralsByUsernameRequest,
    reply=mm.ReferralsReply,
    styles=BY_ID,
    summary="The people the user has referred, with the state of each referral",
    errors=(USER_NOT_FOUND, "invalid_token"),
    scope="user_read",
)
async def referrals_by_username(
    ctx: CallContext, req: mm.ReferralsByUsernameRequest
) -> mm.ReferralsReply:
    """Referrals made from any of the user's active accounts, oldest first; status is
    pending, enrolled or rewarded. A signed-in guest may leave out the username."""
    user = await user_for(ctx, req.username)
    account_ids = await ctx.uow.users.accounts_of(ctx.merchant_id, user.id)
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, account_ids))


@endpoint(
    GUEST,
    "referralsByPrintedCardNumber",
    method="GET",
    request=mm.ReferralsByCardRequest,
    reply=mm.ReferralsReply,
    styles=BY_CARD,
    summary="Referrals made from the account behind a card",
    errors=(CARD_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def referrals_by_card(ctx: CallContext, req: mm.ReferralsByCardRequest) -> mm.ReferralsReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, [ref.account_id]))


@endpoint(
    GUEST,
    "referralsByAccountId",
    method="GET",
    request=mm.ReferralsByIdRequest,
    reply=mm.ReferralsReply,
    styles=BY_ID,
    summary="Referrals made from an account",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def referrals_by_account(ctx: CallContext, req: mm.ReferralsByIdRequest) -> mm.ReferralsReply:
    ref = await account_by_id(ctx, req.accountId)
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, [ref.account_id]))


@endpoint(
    GUEST,
    "addReferrals",
    request=mm.AddReferralsByUsernameRequest,
    reply=mm.ReferralsReply,
    styles=BY_ID,
    summary="Record people the user invited (by e-mail)",
    errors=("guest.invalid_referral", USER_NOT_FOUND, "invalid_token"),
    scope="user_write",
)
async def add_referrals_by_username(
    ctx: CallContext, req: mm.AddReferralsByUsernameRequest
) -> mm.ReferralsReply:
    """Each referral needs a valid e-mail address (not the member's own); one bad entry
    refuses the whole list. An address already referred is kept as it was, so a retried
    call changes nothing. Replies with the account's referrals after the change. The
    referrals are kept on the user's primary account."""
    user = await user_for(ctx, req.username)
    return await _add(ctx, await _user_account(ctx, user), req.referrals)


@endpoint(
    GUEST,
    "addReferralsByPrintedCardNumber",
    request=mm.AddReferralsByCardRequest,
    reply=mm.ReferralsReply,
    styles=BY_ID,
    summary="Record people invited from the account behind a card",
    errors=("guest.invalid_referral", CARD_NOT_FOUND, "invalid_token"),
    scope="account_write",
)
async def add_referrals_by_card(
    ctx: CallContext, req: mm.AddReferralsByCardRequest
) -> mm.ReferralsReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _add(ctx, ref.account_id, req.referrals)


@endpoint(
    GUEST,
    "addReferralsByAccountId",
    request=mm.AddReferralsByIdRequest,
    reply=mm.ReferralsReply,
    styles=BY_ID,
    summary="Record people invited from an account",
    errors=("guest.invalid_referral", ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_write",
)
async def add_referrals_by_account(
    ctx: CallContext, req: mm.AddReferralsByIdRequest
) -> mm.ReferralsReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _add(ctx, ref.account_id, req.referrals)


async def _code(ctx: CallContext, account_id: int) -> mm.ReferralCodeReply:
    code = await service.code_for_account(ctx.uow, ctx.merchant_id, account_id, ctx.now)
    return mm.ReferralCodeReply(referralCode=code)


@endpoint(
    GUEST,
    "createReferralCode",
    request=mm.ReferralsByUsernameRequest,
    reply=mm.ReferralCodeReply,
    styles=BY_ID,
    summary="The user's shareable referral code, made on first request",
    errors=(USER_NOT_FOUND, "invalid_token"),
    scope="user_write",
)
async def create_referral_code(
    ctx: CallContext, req: mm.ReferralsByUsernameRequest
) -> mm.ReferralCodeReply:
    """Eight characters from A-Z and 2-9 without the look-alikes 0, O, 1, I and L. One
    code per account: later calls return the same code. The username variant uses the
    user's primary account."""
    user = await user_for(ctx, req.username)
    return await _code(ctx, await _user_account(ctx, user))


@endpoint(
    GUEST,
    "createReferralCodeByPrintedCardNumber",
    request=mm.ReferralsByCardRequest,
    reply=mm.ReferralCodeReply,
    styles=BY_ID,
    summary="The referral code of the account behind a card",
    errors=(CARD_NOT_FOUND, "invalid_token"),
    scope="account_write",
)
async def create_referral_code_by_card(
    ctx: CallContext, req: mm.ReferralsByCardRequest
) -> mm.ReferralCodeReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _code(ctx, ref.account_id)


@endpoint(
    GUEST,
    "createReferralCodeByAccountId",
    request=mm.ReferralsByIdRequest,
    reply=mm.ReferralCodeReply,
    styles=BY_ID,
    summary="The referral code of an account",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_write",
)
async def create_referral_code_by_account(
    ctx: CallContext, req: mm.ReferralsByIdRequest
) -> mm.ReferralCodeReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _code(ctx, ref.account_id)


@endpoint(
    GUEST,
    "validateReferralCode",
    method="GET",
    request=mm.ValidateReferralCodeRequest,
    reply=mm.SimpleReply,
    styles=("anonymous", "b2b"),
    summary="Whether a referral code belongs to an active member",
    errors=("guest.invalid_referral_code",),
)
async def validate_referral_code(
    ctx: CallContext, req: mm.ValidateReferralCodeRequest
) -> mm.SimpleReply:
    """success when the code (any case) belongs to an active account of the merchant,
    failure with guest.invalid_referral_code otherwise."""
    if not await service.code_is_valid(ctx.uow, ctx.merchant_id, req.referralCode):
        raise ServiceFailure(service.INVALID_REFERRAL_CODE, "Invalid referral code")
    return mm.SimpleReply()

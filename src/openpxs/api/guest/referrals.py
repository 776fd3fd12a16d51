"""Guest Service: referrals and referral codes."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import BY_CARD, BY_ID, GUEST
from openpxs.domain.errors import Reason as R
from openpxs.services import referrals as service
from openpxs.services.guest_access import account_by_card, account_by_id, user_for
from openpxs.store.repositories.referrals import Referral
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _reply(rows: list[Referral]) -> m.ReferralsReply:
    return m.ReferralsReply(
        referrals=[
            m.Referral(
                email=r.email,
                firstName=r.first_name,
                lastName=r.last_name,
                status=r.status,
                referralDate=r.created_at.isoformat(),
            )
            for r in rows
        ]
    )


async def _add(ctx: CallContext, account_id: int, items: list[m.ReferralInput]) -> m.ReferralsReply:
    inputs = [service.ReferralInput(i.email, i.firstName, i.lastName) for i in items]
    return _reply(await service.add_referrals(ctx, account_id, inputs))


async def _code(ctx: CallContext, account_id: int) -> m.ReferralCodeReply:
    return m.ReferralCodeReply(referralCode=await service.code_for_account(ctx, account_id))


@endpoint(
    GUEST,
    "referrals",
    method="GET",
    request=m.ReferralsByUsernameRequest,
    reply=m.ReferralsReply,
    styles=BY_ID,
    summary="The people the user has referred, with the state of each referral",
    errors=(R.USER_NOT_FOUND,),
    scope="user_read",
)
async def referrals_by_username(
    ctx: CallContext, req: m.ReferralsByUsernameRequest
) -> m.ReferralsReply:
    """Referrals made from any of the user's active accounts, oldest first; status is
    pending, enrolled or rewarded. A signed-in guest may leave out the username."""
    user = await user_for(ctx, req.username)
    return _reply(await service.referrals_of_user(ctx, user))


@endpoint(
    GUEST,
    "referralsByPrintedCardNumber",
    method="GET",
    request=m.ReferralsByCardRequest,
    reply=m.ReferralsReply,
    styles=BY_CARD,
    summary="Referrals made from the account behind a card",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def referrals_by_card(ctx: CallContext, req: m.ReferralsByCardRequest) -> m.ReferralsReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, [ref.account_id]))


@endpoint(
    GUEST,
    "referralsByAccountId",
    method="GET",
    request=m.ReferralsByIdRequest,
    reply=m.ReferralsReply,
    styles=BY_ID,
    summary="Referrals made from an account",
    errors=(R.ACCOUNT_NOT_FOUND,),
    scope="account_read",
)
async def referrals_by_account(ctx: CallContext, req: m.ReferralsByIdRequest) -> m.ReferralsReply:
    ref = await account_by_id(ctx, req.accountId)
    return _reply(await service.referrals_of(ctx.uow, ctx.merchant_id, [ref.account_id]))


@endpoint(
    GUEST,
    "addReferrals",
    request=m.AddReferralsByUsernameRequest,
    reply=m.ReferralsReply,
    styles=BY_ID,
    summary="Record people the user invited (by e-mail)",
    errors=(R.INVALID_REFERRAL, R.USER_NOT_FOUND),
    scope="user_write",
)
async def add_referrals_by_username(
    ctx: CallContext, req: m.AddReferralsByUsernameRequest
) -> m.ReferralsReply:
    """Each referral needs a valid e-mail address (not the member's own); one bad entry
    refuses the whole list. An address already referred is kept as it was, so a retried
    call changes nothing. Replies with the account's referrals after the change. The
    referrals are kept on the user's primary account."""
    user = await user_for(ctx, req.username)
    return await _add(ctx, await service.user_account(ctx, user), req.referrals)


@endpoint(
    GUEST,
    "addReferralsByPrintedCardNumber",
    request=m.AddReferralsByCardRequest,
    reply=m.ReferralsReply,
    styles=BY_ID,
    summary="Record people invited from the account behind a card",
    errors=(R.INVALID_REFERRAL, R.CARD_NOT_FOUND),
    scope="account_write",
)
async def add_referrals_by_card(
    ctx: CallContext, req: m.AddReferralsByCardRequest
) -> m.ReferralsReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _add(ctx, ref.account_id, req.referrals)


@endpoint(
    GUEST,
    "addReferralsByAccountId",
    request=m.AddReferralsByIdRequest,
    reply=m.ReferralsReply,
    styles=BY_ID,
    summary="Record people invited from an account",
    errors=(R.INVALID_REFERRAL, R.ACCOUNT_NOT_FOUND),
    scope="account_write",
)
async def add_referrals_by_account(
    ctx: CallContext, req: m.AddReferralsByIdRequest
) -> m.ReferralsReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _add(ctx, ref.account_id, req.referrals)


@endpoint(
    GUEST,
    "createReferralCode",
    request=m.ReferralsByUsernameRequest,
    reply=m.ReferralCodeReply,
    styles=BY_ID,
    summary="The user's shareable referral code, made on first request",
    errors=(R.USER_NOT_FOUND,),
    scope="user_write",
)
async def create_referral_code(
    ctx: CallContext, req: m.ReferralsByUsernameRequest
) -> m.ReferralCodeReply:
    """Eight characters from A-Z and 2-9 without the look-alikes 0, O, 1, I and L. One
    code per account: later calls return the same code. The username variant uses the
    user's primary account."""
    user = await user_for(ctx, req.username)
    return await _code(ctx, await service.user_account(ctx, user))


@endpoint(
    GUEST,
    "createReferralCodeByPrintedCardNumber",
    request=m.ReferralsByCardRequest,
    reply=m.ReferralCodeReply,
    styles=BY_ID,
    summary="The referral code of the account behind a card",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_write",
)
async def create_referral_code_by_card(
    ctx: CallContext, req: m.ReferralsByCardRequest
) -> m.ReferralCodeReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _code(ctx, ref.account_id)


@endpoint(
    GUEST,
    "createReferralCodeByAccountId",
    request=m.ReferralsByIdRequest,
    reply=m.ReferralCodeReply,
    styles=BY_ID,
    summary="The referral code of an account",
    errors=(R.ACCOUNT_NOT_FOUND,),
    scope="account_write",
)
async def create_referral_code_by_account(
    ctx: CallContext, req: m.ReferralsByIdRequest
) -> m.ReferralCodeReply:
    ref = await account_by_id(ctx, req.accountId)
    return await _code(ctx, ref.account_id)


@endpoint(
    GUEST,
    "validateReferralCode",
    method="GET",
    request=m.ValidateReferralCodeRequest,
    reply=m.SimpleReply,
    styles=("anonymous", "b2b"),
    summary="Whether a referral code belongs to an active member",
    errors=(R.INVALID_REFERRAL_CODE,),
)
async def validate_referral_code(
    ctx: CallContext, req: m.ValidateReferralCodeRequest
) -> m.SimpleReply:
    """success when the code (any case) belongs to an active account of the merchant,
    failure with guest.invalid_referral_code otherwise."""
    await service.validate_code(ctx, req.referralCode)
    return m.SimpleReply()

"""Guest Service: value a guest claims outside a purchase - visit codes, and the rewards
events have earned but not yet granted."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import BY_CARD, BY_ID, GUEST
from openpxs.api.guest.replies import point_balances
from openpxs.domain.errors import Reason as R
from openpxs.services import visit_codes
from openpxs.services.guest_access import account_by_card, account_by_id
from openpxs.services.pending_rewards import PendingReward, pending_rewards
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

VISIT_CODE = (R.INVALID_VISIT_CODE, R.VISIT_CODE_ALREADY_USED)


def _pending_reply(rewards: list[PendingReward]) -> m.PendingEventRewardsReply:
    return m.PendingEventRewardsReply(
        pendingRewards=[
            m.PendingEventReward(
                eventName=r.event_name,
                walletCode=r.wallet.code,
                quantity=r.quantity,
                expirationDate=r.expires_on,
            )
            for r in rewards
        ]
    )


@endpoint(
    GUEST,
    "pendingEventRewards",
    method="GET",
    request=m.PendingRewardsByCardRequest,
    reply=m.PendingEventRewardsReply,
    styles=BY_CARD,
    summary="Rewards an event has earned the account but not yet granted",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def pending_event_rewards_by_card(
    ctx: CallContext, req: m.PendingRewardsByCardRequest
) -> m.PendingEventRewardsReply:
    """Oldest first; rewards whose expiration date has passed are left out. quantity is
    a Decimal string in the wallet's scale."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    return _pending_reply(await pending_rewards(ctx, ref.account_id))


@endpoint(
    GUEST,
    "pendingEventRewardsById",
    method="GET",
    request=m.PendingRewardsByIdRequest,
    reply=m.PendingEventRewardsReply,
    styles=BY_ID,
    summary="Pending event rewards of an account",
    errors=(R.ACCOUNT_NOT_FOUND,),
    scope="account_read",
)
async def pending_event_rewards_by_account(
    ctx: CallContext, req: m.PendingRewardsByIdRequest
) -> m.PendingEventRewardsReply:
    ref = await account_by_id(ctx, req.accountId)
    return _pending_reply(await pending_rewards(ctx, ref.account_id))


@endpoint(
    GUEST,
    "applyVisitCode",
    request=m.ApplyVisitCodeRequest,
    reply=m.ApplyVisitCodeReply,
    styles=BY_ID,
    summary="Credit the account for a visit identified by a one-time code",
    moves_value=True,
    errors=(*VISIT_CODE, R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE),
    scope="account_write",
)
async def apply_visit_code(ctx: CallContext, req: m.ApplyVisitCodeRequest) -> m.ApplyVisitCodeReply:
    """The code's wallet is credited once, as a visitCode transaction at the code's
    store (with the wallet's default expiry). An unknown or expired code, or one for a
    wallet the card's program does not have, is invalid_visit_code; a used one is
    visit_code_already_used. pointBalances are the points and visit-count wallets after
    the credit, as in accountInformation."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    view = await visit_codes.apply_code(
        ctx.uow, ctx.program, ctx.online_stamp(), ref.card_number, req.visitCode
    )
    return m.ApplyVisitCodeReply(pointBalances=point_balances(view.balances))


@endpoint(
    GUEST,
    "validateVisitCode",
    method="GET",
    request=m.ValidateVisitCodeRequest,
    reply=m.SimpleReply,
    styles=BY_ID,
    summary="Check a visit code without applying it",
    errors=VISIT_CODE,
    scope="account_read",
)
async def validate_visit_code(ctx: CallContext, req: m.ValidateVisitCodeRequest) -> m.SimpleReply:
    """success while the code exists, is unused and has not expired. Whether it suits a
    particular card's program is only known when it is applied."""
    await visit_codes.usable_code(ctx.uow, ctx.merchant_id, req.visitCode, ctx.now)
    return m.SimpleReply()

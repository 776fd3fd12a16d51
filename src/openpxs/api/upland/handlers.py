"""Upland Service (upland.yaml): an SMS platform tells the server that a number opted
out (STOP) or in (START)."""

from __future__ import annotations

from openpxs.api.upland import models as m
from openpxs.api.upland.errors import UPLAND
from openpxs.domain.errors import Reason as R
from openpxs.services import sms_subscriptions
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    UPLAND,
    "smsSubscription",
    request=m.SmsSubscriptionRequest,
    reply=m.ResultReply,
    styles=("b2b",),
    summary="Record a number's SMS opt-in or opt-out (STOP / START)",
    errors=(R.INVALID_PHONE, R.ACCOUNT_NOT_FOUND),
)
async def sms_subscription(ctx: CallContext, req: m.SmsSubscriptionRequest) -> m.ResultReply:
    """optIn false stops every SMS to the number (one-time codes too) until optIn true;
    the guests with that mobile number get textCampaignOptIn set to optIn. A number no
    guest has is account_not_found; with printedCardNumber, only that card's guest is
    updated, and it must have the number."""
    await sms_subscriptions.set_subscription(ctx, req.mobilePhone, req.optIn, req.printedCardNumber)
    return m.ResultReply()

"""Checkin Service (checkin.yaml): a guest checks in at a store from an app."""

from __future__ import annotations

from openpxs.api.checkin import models as m
from openpxs.api.checkin.errors import CHECKIN, STYLES
from openpxs.domain.errors import Reason
from openpxs.services import checkins
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    CHECKIN,
    "checkinAccount",
    request=m.CheckinAccountRequest,
    reply=m.CheckinReply,
    styles=STYLES,
    summary="Check in to a store",
    errors=(
        Reason.INVALID_STORE,
        Reason.CARD_NOT_FOUND,
        Reason.ACCOUNT_NOT_ACTIVE,
        Reason.TOO_MANY_CHECKINS,
        Reason.CHECKIN_TOO_SOON,
        Reason.INVALID_CHECKIN_TIME,
    ),
)
async def checkin_account(ctx: CallContext, req: m.CheckinAccountRequest) -> m.CheckinReply:
    """Finds the account by exactly one of mobilePhone, printedCardNumber or
    externalAccountCode (a signed-in guest: only their own) and records a check-in at
    storeCode, or merchant-wide without one, at checkinTime ('yyyy-mm-dd hh:mm:ss
    -0400'). The POS lists the guest (transaction/checkinsQuery.json) until
    expirationTime, given in checkinTime's offset. shortCardNumber is empty unless the
    merchant enables short numbers (places.checkin). A new check-in at the same store
    replaces the guest's live one; the merchant's cap per period and minimum gap apply."""
    done = await checkins.check_in(ctx, req.checkin())
    return m.CheckinReply(
        shortCardNumber=done.short_card_number,
        printedCardNumber=done.printed_card_number,
        expirationTime=done.expires_at.isoformat(),
    )

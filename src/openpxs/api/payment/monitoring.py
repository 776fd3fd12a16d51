"""Payment Service (payment.yaml): auto recharge threshold monitoring, where the server
watches a card's balance and the caller funds the recharge itself."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT, STYLES
from openpxs.domain.errors import Reason as R
from openpxs.services import recharge_monitoring as monitoring
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    PAYMENT,
    "enableAutoRechargeMonitoring",
    request=m.EnableMonitoringRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Watch the card's balance and raise an event when it drops below a threshold",
    errors=(
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.INVALID_QUANTITY,
        R.AMOUNT_OUT_OF_RANGE,
        R.PAYMENTS_NOT_CONFIGURED,
    ),
    scope="account_write",
)
async def enable_auto_recharge_monitoring(
    ctx: CallContext, req: m.EnableMonitoringRequest
) -> m.SimpleReply:
    """No money moves, now or later: whenever a redemption leaves the stored value below
    thresholdAmount, one pending event is raised (pendingMonitoredAutoRechargeEvents) and
    the caller recharges with its own payment. Enabling again replaces the threshold and
    amount. The limits are automatic recharge's."""
    await monitoring.enable(ctx, req.printedCardNumber, req.thresholdAmount, req.amount)
    return m.SimpleReply()


@endpoint(
    PAYMENT,
    "disableAutoRechargeMonitoring",
    request=m.CardRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Stop watching the card's balance",
    errors=(R.CARD_NOT_FOUND, R.MONITORING_NOT_ENABLED),
    scope="account_write",
)
async def disable_auto_recharge_monitoring(ctx: CallContext, req: m.CardRequest) -> m.SimpleReply:
    """Its pending event, if any, is dropped."""
    await monitoring.disable(ctx, req.printedCardNumber)
    return m.SimpleReply()


@endpoint(
    PAYMENT,
    "pendingMonitoredAutoRechargeEvents",
    method="GET",
    request=m.PendingEventsRequest,
    reply=m.PendingAutoRechargeEventsReply,
    styles=STYLES,
    summary="Threshold-crossing events not settled by a recharge yet",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def pending_monitored_auto_recharge_events(
    ctx: CallContext, req: m.PendingEventsRequest
) -> m.PendingAutoRechargeEventsReply:
    """An event is settled (and leaves this list) when a recharge of the card completes
    after it was raised, or when monitoring is disabled. Without printedCardNumber a back
    end gets every pending event of the merchant."""
    zone = ZoneInfo(ctx.program.timezone)
    events = await monitoring.pending(ctx, req.printedCardNumber)
    return m.PendingAutoRechargeEventsReply(
        events=[
            m.MonitoredAutoRechargeEvent(
                eventId=e.id,
                printedCardNumber=e.card_number,
                balance=e.balance,
                thresholdAmount=e.threshold,
                amount=e.amount,
                eventDatetime=e.event.raised_at.astimezone(zone).isoformat(),
            )
            for e in events
        ]
    )

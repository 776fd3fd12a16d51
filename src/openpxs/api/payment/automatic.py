"""Payment Service (payment.yaml): automatic recharge of a stored value card."""

from __future__ import annotations

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT, STYLES
from openpxs.api.payment.handlers import CHARGING_REFUSALS, address_of, saved_card_view
from openpxs.domain.errors import Reason as R
from openpxs.services import auto_recharge
from openpxs.services.recharge import Method
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    PAYMENT,
    "enableAutoRecharge",
    request=m.EnableAutoRechargeRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Recharge the card automatically when its balance drops below a threshold",
    errors=CHARGING_REFUSALS,
    scope="account_write",
    own_transactions=True,
)
async def enable_auto_recharge(ctx: CallContext, req: m.EnableAutoRechargeRequest) -> m.SimpleReply:
    """Stores the rule (amount and thresholdAmount), replacing any earlier one. A new
    card (paymentMethod type CC) is verified and kept as the saved credit card; without
    one, the card already saved is charged. The checks are recharge's; the threshold must
    be inside the merchant's range. No money moves now: whenever a redemption leaves the
    stored value below the threshold, one recharge of amount is made in the background."""
    assert ctx.units is not None
    method = req.paymentMethod
    await auto_recharge.enable(
        ctx,
        ctx.units,
        card_number=req.printedCardNumber,
        raw_amount=req.amount,
        raw_threshold=req.thresholdAmount,
        method=(
            Method(method.type, method.token, method.paymentMethodId, True, method.cardholderName)
            if method is not None
            else None
        ),
        address=address_of(req.address),
    )
    return m.SimpleReply()


@endpoint(
    PAYMENT,
    "disableAutoRecharge",
    request=m.CardRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Stop recharging the card automatically",
    errors=(R.CARD_NOT_FOUND, R.AUTO_RECHARGE_NOT_ENABLED),
    scope="account_write",
)
async def disable_auto_recharge(ctx: CallContext, req: m.CardRequest) -> m.SimpleReply:
    """Switches the rule off; the saved credit card stays. A card without a rule switched
    on answers payment.auto_recharge_not_enabled."""
    await auto_recharge.disable(ctx, req.printedCardNumber)
    return m.SimpleReply()


@endpoint(
    PAYMENT,
    "autoRechargeStatus",
    method="GET",
    request=m.CardRequest,
    reply=m.AutoRechargeStatusReply,
    styles=STYLES,
    summary="Whether the card recharges automatically, for how much and below what",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def auto_recharge_status(ctx: CallContext, req: m.CardRequest) -> m.AutoRechargeStatusReply:
    """The rule's amount and threshold when it is on, and the saved card it charges."""
    found = await auto_recharge.status(ctx, req.printedCardNumber)
    return m.AutoRechargeStatusReply(
        autoRechargeEnabled=found.enabled,
        amount=found.amount,
        thresholdAmount=found.threshold,
        thresholdMonitoringEnabled=found.monitored,
        savedCreditCard=saved_card_view(found.card) if found.card else None,
    )

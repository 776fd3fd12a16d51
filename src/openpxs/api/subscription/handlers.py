"""Subscription Service (subscription.yaml): subscribe to a paid plan, change the card
or the plan, unsubscribe, and read the subscription."""

from __future__ import annotations

from openpxs.api.subscription import models as m
from openpxs.api.subscription.errors import CARD, PAYING, STYLES, SUBSCRIPTION
from openpxs.domain.errors import Reason as R
from openpxs.domain.payments import BillingAddress
from openpxs.domain.program import Program
from openpxs.services import subscriptions as subs
from openpxs.store.repositories.subscriptions import Subscription
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def info(program: Program, found: Subscription) -> m.SubscriptionReply:
    plan = subs.plan_of(program, found.plan_code)
    card = found.card
    return m.SubscriptionReply(
        accountSubscriptionInfo=m.AccountSubscriptionInfo(
            subscriptionCode=found.plan_code,
            subscriptionName=plan.name if plan else None,
            status=found.status.value.upper(),
            enrollmentDate=program.today(found.enrolled_at),
            renewalDate=program.today(found.renews_at),
            price=plan.price if plan else None,
            paymentMethod=m.SubscriptionPaymentMethodSummary(
                cardType=card.brand,
                lastFour=card.last4,
                expDate=f"{card.exp_month:02d}/{card.exp_year}"
                if card.exp_month and card.exp_year
                else None,
            )
            if card
            else None,
            nextSubscriptionCode=found.next_plan_code,
            nextRetryDate=program.today(found.retry_at) if found.retry_at else None,
        )
    )


def method_of(method: m.SubscriptionPaymentMethod | None) -> subs.Method | None:
    if method is None:
        return None
    a = method.address
    return subs.Method(
        method.type,
        method.token,
        method.paymentMethodId,
        BillingAddress(a.address1, a.address2, a.city, a.stateProvince, a.postalCode, a.country)
        if a is not None
        else None,
    )


@endpoint(
    SUBSCRIPTION,
    "subscribe",
    request=m.SubscribeRequest,
    reply=m.SubscriptionReply,
    styles=STYLES,
    summary="Subscribe the card's account to a paid plan",
    errors=(*CARD, R.INVALID_SUBSCRIPTION_CODE, R.ALREADY_SUBSCRIBED, *PAYING),
    scope="account_write",
    own_transactions=True,
)
async def subscribe(ctx: CallContext, req: m.SubscribeRequest) -> m.SubscriptionReply:
    """Charges the plan's price to the payment method (a new card's token, kept with the
    processor for renewals, or the account's saved card), then starts the subscription,
    grants the first period's benefits and e-mails the guest; the renewal date is one
    period after sign-up. A decline answers subscription.payment_declined and changes
    nothing; if starting fails after the charge, the charge is given back first. An
    account has one subscription at a time; subscribing again while a cancelled one is
    still paid resumes it without a charge. Send an Idempotency-Key header to make a
    retry answer the first outcome."""
    assert ctx.units is not None
    found = await subs.subscribe(
        ctx,
        ctx.units,
        req.printedCardNumber,
        req.subscriptionCode,
        method_of(req.paymentMethod),
        req.storeCode,
        ctx.idempotency_key,
    )
    return info(ctx.program, found)


@endpoint(
    SUBSCRIPTION,
    "updatePaymentMethod",
    request=m.UpdatePaymentMethodRequest,
    reply=m.SubscriptionReply,
    styles=STYLES,
    summary="Use another card for the subscription's renewals",
    errors=(*CARD, R.NOT_SUBSCRIBED, *PAYING),
    scope="account_write",
    own_transactions=True,
)
async def update_payment_method(
    ctx: CallContext, req: m.UpdatePaymentMethodRequest
) -> m.SubscriptionReply:
    """Replaces the card future renewals charge; no charge is made, except for a
    PAST_DUE subscription, which is renewed with the new card at once (a decline then
    answers subscription.payment_declined and keeps the old card)."""
    assert ctx.units is not None
    found = await subs.update_payment_method(
        ctx, ctx.units, req.printedCardNumber, method_of(req.paymentMethod), ctx.idempotency_key
    )
    return info(ctx.program, found)


@endpoint(
    SUBSCRIPTION,
    "unsubscribe",
    request=m.CardRequest,
    reply=m.SubscriptionReply,
    styles=STYLES,
    summary="Stop renewing the subscription",
    errors=(*CARD, R.NOT_SUBSCRIBED),
    scope="account_write",
)
async def unsubscribe(ctx: CallContext, req: m.CardRequest) -> m.SubscriptionReply:
    """No further charges. An ACTIVE subscription becomes CANCELLED and keeps its
    benefits until renewalDate, then EXPIRED; a PAST_DUE one ends at once. Asking again
    answers the same."""
    return info(ctx.program, await subs.unsubscribe(ctx, req.printedCardNumber))


@endpoint(
    SUBSCRIPTION,
    "changePlan",
    request=m.ChangePlanRequest,
    reply=m.SubscriptionReply,
    styles=STYLES,
    summary="Move to another plan at the next renewal",
    errors=(*CARD, R.NOT_SUBSCRIBED, R.INVALID_SUBSCRIPTION_CODE, R.SAME_PLAN),
    scope="account_write",
)
async def change_plan(ctx: CallContext, req: m.ChangePlanRequest) -> m.SubscriptionReply:
    """The new plan (nextSubscriptionCode) takes effect at renewalDate: that renewal
    charges its price and grants its benefits. No proration: the period already paid
    stays as bought. Choosing the current plan again withdraws a pending change."""
    return info(
        ctx.program, await subs.change_plan(ctx, req.printedCardNumber, req.subscriptionCode)
    )


@endpoint(
    SUBSCRIPTION,
    "subscriptionInfo",
    method="GET",
    request=m.CardRequest,
    reply=m.SubscriptionReply,
    styles=STYLES,
    summary="The account's subscription",
    errors=(*CARD, R.NOT_SUBSCRIBED),
    scope="account_read",
)
async def subscription_info(ctx: CallContext, req: m.CardRequest) -> m.SubscriptionReply:
    """The plan, status, sign-up and renewal dates, price and the card renewals charge
    (an ended subscription reads EXPIRED); an account that never subscribed answers
    subscription.not_subscribed."""
    return info(ctx.program, await subs.subscription_of(ctx, req.printedCardNumber))

"""Payment Service (payment.yaml): checkout sessions and the payment intents behind them.

A checkout only authorizes; value goes on a card when the intent is captured (by the
server for captureMethod AUTOMATIC, by capturePaymentIntent for MANUAL).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT
from openpxs.api.payment.handlers import charge_response
from openpxs.domain.errors import Reason as R
from openpxs.domain.money import from_units
from openpxs.services import payment_intents as intents
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

_CHANGING = (
    R.PAYMENT_INTENT_NOT_FOUND,
    R.INVALID_PAYMENT_INTENT_STATE,
    R.PAYMENTS_NOT_CONFIGURED,
    R.PROCESSOR_DECLINED,
    R.PROCESSOR_ERROR,
)


def _reply(ctx: CallContext, view: intents.IntentView) -> m.PaymentIntentReply:
    intent = view.intent
    captured = intent.captured_units
    amount = from_units(captured if captured is not None else intent.amount_units, 2)
    return m.PaymentIntentReply(
        paymentIntent=m.PaymentIntent(
            paymentIntentId=intent.public_id,
            status=intents.wire_status(intent.status),
            amount=from_units(intent.amount_units, 2),
            capturedAmount=from_units(captured, 2) if captured is not None else None,
            purpose=intent.purpose,
            printedCardNumber=intent.card_number,
            chargeResponse=(
                charge_response(ctx.program, view.result, amount, intent.updated_at)
                if view.result is not None
                else None
            ),
        )
    )


@endpoint(
    PAYMENT,
    "createCheckoutSession",
    request=m.CreateCheckoutSessionRequest,
    reply=m.CheckoutSessionReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="Open a processor checkout that authorizes an amount for a payment intent",
    errors=(
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.EMAIL_NOT_VERIFIED,
        R.INVALID_QUANTITY,
        R.AMOUNT_OUT_OF_RANGE,
        R.PAYMENTS_NOT_CONFIGURED,
        R.CHECKOUT_SESSION_ERROR,
    ),
    own_transactions=True,
)
async def create_checkout_session(
    ctx: CallContext, req: m.CreateCheckoutSessionRequest
) -> m.CheckoutSessionReply:
    """purpose RECHARGE puts the captured amount on printedCardNumber (the recharge
    rules apply: an active card whose owner verified an e-mail, an amount inside the
    merchant's limits); SALE takes money for an order and credits nothing. The checkout
    only authorizes: nothing is taken or credited until the intent is captured. The
    reply carries what the client shows (the hosted page's url, or the clientSecret of
    an embedded widget) and paymentIntentId. Send an Idempotency-Key header to make a
    retry the same checkout."""
    assert ctx.units is not None
    view = await intents.open_checkout(
        ctx,
        ctx.units,
        card_number=req.printedCardNumber,
        raw_amount=req.amount,
        purpose=req.purpose,
        capture_method=req.captureMethod,
        return_url=req.returnUrl,
        retry_key=ctx.idempotency_key,
    )
    opened = view.opened
    expires = view.intent.expires_at
    return m.CheckoutSessionReply(
        checkoutSessionId=view.intent.session_id,
        url=view.intent.url,
        clientSecret=opened.client_secret if opened is not None else None,
        paymentIntentId=view.intent.public_id,
        expiresDatetime=(
            expires.astimezone(ZoneInfo(ctx.program.timezone)).isoformat() if expires else None
        ),
    )


@endpoint(
    PAYMENT,
    "paymentIntent",
    method="GET",
    request=m.PaymentIntentRequest,
    reply=m.PaymentIntentReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="A payment intent's status and amounts, refreshed from the processor",
    errors=(R.PAYMENT_INTENT_NOT_FOUND, R.PAYMENTS_NOT_CONFIGURED),
    own_transactions=True,
)
async def payment_intent(ctx: CallContext, req: m.PaymentIntentRequest) -> m.PaymentIntentReply:
    """An intent not yet final is refreshed from the processor. An AUTOMATIC intent the
    guest has paid is captured (and a RECHARGE credited) by this read; PROCESSING means
    a capture or cancel is under way. A guest (oauth) reaches only intents of their own
    cards."""
    assert ctx.units is not None
    return _reply(ctx, await intents.read_intent(ctx, ctx.units, req.paymentIntentId))


@endpoint(
    PAYMENT,
    "capturePaymentIntent",
    request=m.CapturePaymentIntentRequest,
    reply=m.PaymentIntentReply,
    styles=("b2b", "oauth"),
    summary="Take an authorized intent's amount (or less) and apply its value",
    errors=(R.INVALID_QUANTITY, R.CARD_NOT_ACTIVE, *_CHANGING),
    scope="account_write",
    own_transactions=True,
)
async def capture_payment_intent(
    ctx: CallContext, req: m.CapturePaymentIntentRequest
) -> m.PaymentIntentReply:
    """Only an AUTHORIZED intent is captured, once: a second capture, or one racing
    another capture or a cancel, is payment.invalid_payment_intent_state and moves no
    money. amount (default: all) may not exceed what was authorized; the rest is
    released. A RECHARGE intent's captured amount is credited to its card in the same
    step; if the credit fails the capture is given back and the intent is CANCELED."""
    assert ctx.units is not None
    return _reply(ctx, await intents.capture(ctx, ctx.units, req.paymentIntentId, req.amount))


@endpoint(
    PAYMENT,
    "cancelPaymentIntent",
    request=m.PaymentIntentRequest,
    reply=m.PaymentIntentReply,
    styles=("b2b", "oauth"),
    summary="Release an intent that has not been captured",
    errors=_CHANGING,
    scope="account_write",
    own_transactions=True,
)
async def cancel_payment_intent(
    ctx: CallContext, req: m.PaymentIntentRequest
) -> m.PaymentIntentReply:
    """A CREATED or AUTHORIZED intent is voided at the processor: nothing is taken and
    no value applied. A captured or canceled one is payment.invalid_payment_intent_state."""
    assert ctx.units is not None
    return _reply(ctx, await intents.cancel(ctx, ctx.units, req.paymentIntentId))

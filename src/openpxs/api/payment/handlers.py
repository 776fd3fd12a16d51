"""Payment Service (payment.yaml): the merchant's payment settings, recharging a stored
value card with a credit card, and the card's recharges.

Card numbers never reach the server: clients tokenize the card with the processor
(paymentConfig says which) and send the token.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT, STYLES
from openpxs.domain.errors import Reason as R
from openpxs.domain.money import from_units
from openpxs.domain.payments import (
    BillingAddress,
    Outcome,
    PaymentFailed,
    PaymentsNotConfigured,
    ProcessorResult,
)
from openpxs.domain.program import Program
from openpxs.services import card_tokenizing as tokenizing
from openpxs.services import recharge as recharging
from openpxs.services.guest_access import account_by_card
from openpxs.store.repositories.payment_methods import StoredMethod
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# ISO 8583-style response codes for the documented processorResponseCode (0: approved).
RESPONSE_CODES = {
    Outcome.APPROVED: 0,
    Outcome.DECLINED: 5,
    Outcome.INSUFFICIENT_FUNDS: 51,
    Outcome.REQUIRES_ACTION: 65,
    Outcome.INVALID_TOKEN: 14,
    Outcome.TIMEOUT: 91,
    Outcome.PROCESSOR_ERROR: 96,
}
STATES = {
    Outcome.APPROVED: "Succeeded",
    Outcome.PROCESSOR_ERROR: "Failed",
    Outcome.TIMEOUT: "Failed",
}


def charge_response(
    program: Program, result: ProcessorResult, amount: Decimal, at: datetime
) -> m.ChargeResponse:
    card = result.card
    expiry = (
        f"{card.exp_month:02d}/{card.exp_year}" if card and card.exp_month and card.exp_year else ""
    )
    return m.ChargeResponse(
        amount=amount.quantize(Decimal("0.01")),
        cardType=card.brand if card else "",
        expDate=expiry,
        lastFour=card.last4 if card else "",
        processorAuthCode=result.auth_code or "",
        processorReferenceNumber=result.reference or "",
        processorResponseCode=RESPONSE_CODES[result.outcome],
        processorResponseMessage=result.message or str(result.outcome),
        # The documented form: "2013-08-20 18:14:25 -0400", in the merchant's zone.
        transactionDatetime=at.astimezone(ZoneInfo(program.timezone)).strftime(
            "%Y-%m-%d %H:%M:%S %z"
        ),
        transactionState=STATES.get(result.outcome, "Declined"),
    )


def _result_of(attempt: PaymentAttempt) -> ProcessorResult:
    return ProcessorResult(
        Outcome(attempt.outcome) if attempt.outcome else Outcome.PROCESSOR_ERROR,
        attempt.processor_reference,
        code=attempt.processor_code,
        message=attempt.processor_message,
        card=attempt.card,
        auth_code=attempt.auth_code,
    )


def address_of(address: m.Address | None) -> BillingAddress | None:
    if address is None:
        return None
    return BillingAddress(
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        state_province=address.stateProvince,
        postal_code=address.postalCode,
        country=address.country,
    )


# What a call that charges a card (now, or later by automatic recharge) may answer.
CHARGING_REFUSALS = (
    R.CARD_NOT_FOUND,
    R.CARD_NOT_ACTIVE,
    R.EMAIL_NOT_VERIFIED,
    R.INVALID_QUANTITY,
    R.AMOUNT_OUT_OF_RANGE,
    R.INVALID_PAYMENT_METHOD,
    R.ADDRESS_REQUIRED,
    R.NO_SAVED_CREDIT_CARD,
    R.PAYMENTS_NOT_CONFIGURED,
    R.PROCESSOR_DECLINED,
    R.PROCESSOR_ERROR,
)


@endpoint(
    PAYMENT,
    "paymentConfig",
    method="GET",
    request=m.PaymentConfigRequest,
    reply=m.PaymentConfigReply,
    styles=STYLES,
    summary="The merchant's recharge settings and how clients tokenize a card",
    errors=(R.PAYMENTS_NOT_CONFIGURED, R.CARD_NOT_FOUND),
    scope="account_read",
)
async def payment_config(ctx: CallContext, req: m.PaymentConfigRequest) -> m.PaymentConfigReply:
    """Whether recharge and automatic recharge are offered, their limits, the accepted
    card brands, whether a billing address is needed, and which processor tokenizes
    cards. Never a processor secret. A merchant without a processor is not configured;
    a printedCardNumber, when given, must be a card the caller may reach."""
    payments = ctx.program.payments
    if payments.processor is None:
        raise PaymentsNotConfigured("no card processor is configured")
    if req.printedCardNumber is not None:
        await account_by_card(ctx, req.printedCardNumber)
    settings = payments.recharge
    offered = settings is not None and settings.enabled
    auto = offered and payments.auto_recharge.enabled
    return m.PaymentConfigReply(
        paymentConfig=m.PaymentConfig(
            rechargeEnabled=offered,
            autoRechargeEnabled=auto,
            thresholdMonitoringEnabled=auto,
            minRechargeAmount=settings.min_amount if offered and settings else None,
            maxRechargeAmount=settings.max_amount if offered and settings else None,
            autoRechargeThresholds=(
                [payments.auto_recharge.min_threshold, payments.auto_recharge.max_threshold]
                if auto
                else []
            ),
            acceptedCardTypes=list(payments.accepted_brands),
            addressRequired=bool(settings and settings.require_billing_address),
            processor=payments.processor.kind.upper(),
            processorClientParams=tokenizing.client_params(payments),
        )
    )


@endpoint(
    PAYMENT,
    "recharge",
    request=m.RechargeRequest,
    reply=m.RechargeReply,
    styles=STYLES,
    summary="Charge a credit card and add the amount to a stored value card",
    errors=CHARGING_REFUSALS,
    scope="account_write",
    own_transactions=True,
)
async def recharge(ctx: CallContext, req: m.RechargeRequest) -> m.RechargeReply:
    """Refused unless the card's owner has verified an e-mail address; the card must be
    active and the amount inside the merchant's limits; a new card (type CC) comes as a
    processor token, with a billing address where the merchant asks for one. The amount
    is charged first; only an approved charge is added to the card's stored value, as a
    recharge transaction. A decline or processor failure leaves the balance as it was
    and answers failure with the processor's chargeResponse; a credit that fails after
    an approved charge voids the charge before the reply. Send an Idempotency-Key header
    to make a retry the same payment: it answers the first outcome and charges nothing
    more."""
    assert ctx.units is not None
    method = req.paymentMethod
    try:
        paid = await recharging.recharge(
            ctx,
            ctx.units,
            card_number=req.printedCardNumber,
            raw_amount=req.amount,
            method=(
                recharging.Method(
                    method.type,
                    method.token,
                    method.paymentMethodId,
                    bool(method.saveCard),
                    method.cardholderName,
                )
                if method is not None
                else None
            ),
            address=address_of(req.address),
            metadata=dict(req.metadata or {}),
            retry_key=ctx.idempotency_key,
        )
    except PaymentFailed as failed:
        try:
            amount_hint = Decimal(str(req.amount))
        except ArithmeticError:
            amount_hint = Decimal(0)
        failed.members = {
            "chargeResponse": charge_response(
                ctx.program, failed.result, amount_hint, ctx.now
            ).model_dump(mode="json")
        }
        raise
    amount = from_units(paid.attempt.amount_units, 2)
    return m.RechargeReply(
        chargeResponse=charge_response(ctx.program, paid.result, amount, paid.attempt.updated_at)
    )


@endpoint(
    PAYMENT,
    "rechargeHistory",
    method="GET",
    request=m.RechargeHistoryRequest,
    reply=m.RechargeHistoryReply,
    styles=STYLES,
    summary="The card's credit card recharges, newest first",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def recharge_history(
    ctx: CallContext, req: m.RechargeHistoryRequest
) -> m.RechargeHistoryReply:
    """Manual and automatic recharges of the card, declined ones too, newest first,
    each with its processor outcome; dateStart and dateEnd are the merchant's local days
    (both included) and maxResults (default 100) caps the list."""
    attempts = await recharging.recharges_of(
        ctx, req.printedCardNumber, req.dateStart, req.dateEnd, req.maxResults or 100
    )
    return m.RechargeHistoryReply(
        recharges=[
            m.RechargeHistoryEntry(
                datetime=a.created_at.astimezone(ZoneInfo(ctx.program.timezone)).isoformat(),
                amount=from_units(a.amount_units, 2),
                automatic=a.kind.value == "auto_recharge",
                chargeResponse=charge_response(
                    ctx.program, _result_of(a), from_units(a.amount_units, 2), a.updated_at
                ),
            )
            for a in attempts
        ]
    )


def saved_card_view(kept: StoredMethod) -> m.SavedCreditCard:
    card = kept.card
    address = kept.address
    return m.SavedCreditCard(
        cardType=card.brand if card else "",
        lastFour=card.last4 if card else "",
        expDate=(
            f"{card.exp_month:02d}/{card.exp_year}"
            if card and card.exp_month and card.exp_year
            else ""
        ),
        cardholderName=kept.cardholder_name,
        address=(
            m.Address(
                address1=address.address1,
                address2=address.address2,
                city=address.city,
                stateProvince=address.state_province,
                postalCode=address.postal_code,
                country=address.country,
            )
            if address
            else None
        ),
    )


@endpoint(
    PAYMENT,
    "savedCreditCard",
    method="GET",
    request=m.CardRequest,
    reply=m.SavedCreditCardReply,
    styles=STYLES,
    summary="What may be shown of the credit card saved on the card's account",
    errors=(R.CARD_NOT_FOUND, R.NO_SAVED_CREDIT_CARD),
    scope="account_read",
)
async def saved_credit_card(ctx: CallContext, req: m.CardRequest) -> m.SavedCreditCardReply:
    """Brand, last four digits, expiry, cardholder name and billing address of the card
    kept by a recharge with saveCard; never the token or a number."""
    kept = await recharging.saved_card_of(ctx, req.printedCardNumber)
    return m.SavedCreditCardReply(savedCreditCard=saved_card_view(kept))


@endpoint(
    PAYMENT,
    "deleteSavedCreditCard",
    request=m.CardRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Forget the credit card saved on the card's account",
    errors=(R.CARD_NOT_FOUND, R.NO_SAVED_CREDIT_CARD),
    scope="account_write",
)
async def delete_saved_credit_card(ctx: CallContext, req: m.CardRequest) -> m.SimpleReply:
    """Removes the saved card from the account and asks the processor to forget its
    token; without a saved card, payment.no_saved_credit_card."""
    await recharging.delete_saved_card(ctx, req.printedCardNumber)
    return m.SimpleReply()

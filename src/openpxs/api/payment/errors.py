"""The Payment Service, and how it answers each refusal (payment.yaml errors).

Every code is inferred (the reference's table could not be read). Validation problems
answer ``invalidInputs`` as the documented recharge reply does; a processor's refusal,
missing configuration and system errors answer ``failure``.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

R = Reason
PREFIX = "payment"
INVALID_INPUTS = (
    R.CARD_NOT_FOUND,
    R.CARD_NOT_ACTIVE,
    R.EMAIL_NOT_VERIFIED,
    R.INVALID_QUANTITY,
    R.AMOUNT_OUT_OF_RANGE,
    R.INVALID_PAYMENT_METHOD,
    R.ADDRESS_REQUIRED,
    R.NO_SAVED_CREDIT_CARD,
    R.PAYMENT_METHOD_NOT_FOUND,
    R.INVALID_USAGE,
)
REFUSALS = table(
    PREFIX,
    {
        R.CARD_NOT_ACTIVE: "Card not active",
        R.EMAIL_NOT_VERIFIED: "Email address must be verified",
        R.AMOUNT_OUT_OF_RANGE: "Amount is outside the allowed range",
        R.INVALID_PAYMENT_METHOD: "Invalid payment method",
        R.ADDRESS_REQUIRED: "Billing address is required",
        R.NO_SAVED_CREDIT_CARD: "No saved credit card",
        R.PAYMENT_METHOD_NOT_FOUND: "Payment method not found",
        R.INVALID_USAGE: "Invalid payment method usage",
        R.AUTO_RECHARGE_NOT_ENABLED: "Auto recharge is not enabled",
        R.MONITORING_NOT_ENABLED: "Auto recharge monitoring is not enabled",
        R.APPLE_PAY_NOT_CONFIGURED: "Apple Pay is not configured for this merchant",
        R.APPLE_PAY_VALIDATION_FAILED: "Apple Pay merchant validation failed",
        R.INVALID_DOMAIN: "Invalid domain",
        R.CHECKOUT_SESSION_ERROR: "Unable to create checkout session",
        R.PAYMENT_INTENT_NOT_FOUND: "Payment intent not found",
        R.INVALID_PAYMENT_INTENT_STATE: "Payment intent cannot be changed in its current state",
        R.PROCESSOR_DECLINED: "Credit card was declined",
        R.PROCESSOR_ERROR: "Unable to reach the payment processor",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    user_data=INVALID_INPUTS,
    user_data_result="invalidInputs",
    special={
        R.SYSTEM_ERROR: WireError(f"{PREFIX}.system_error", "System error", joiner=None),
        R.CARD_NOT_FOUND: WireError(
            f"{PREFIX}.invalid_card", "Invalid card", result="invalidInputs"
        ),
        R.INVALID_QUANTITY: WireError(
            f"{PREFIX}.invalid_amount", "Invalid amount", result="invalidInputs"
        ),
        R.PAYMENTS_NOT_CONFIGURED: WireError(
            f"{PREFIX}.not_configured",
            "Payments are not configured for this merchant",
            joiner=None,
        ),
    },
)
PAYMENT = Service(name="payment", title="Payment Service", success="success", refusals=REFUSALS)
STYLES = ("b2b", "oauth")

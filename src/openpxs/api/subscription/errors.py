"""The Subscription Service, and how it answers each refusal (subscription.yaml).

Every code is the spec's inferred one. A card the processor would not keep or charge is
subscription.payment_declined whatever the processor's reason; the reply's
processorOutcome member tells which.
"""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

PREFIX = "subscription"
INVALID_CARD = WireError(f"{PREFIX}.invalid_card", "Invalid card")
DECLINED = f"{PREFIX}.payment_declined"

REFUSALS = table(
    PREFIX,
    {
        R.SYSTEM_ERROR: "System error",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
        R.INVALID_SUBSCRIPTION_CODE: "Invalid subscription code",
        R.ALREADY_SUBSCRIBED: "Account already has a subscription",
        R.NOT_SUBSCRIBED: "Account has no subscription",
        R.INVALID_PAYMENT_METHOD: "Invalid payment method",
        R.SAME_PLAN: "Already subscribed to this plan",
    },
    special={
        R.CARD_NOT_FOUND: INVALID_CARD,
        R.CARD_NOT_ACTIVE: WireError(INVALID_CARD.code, "Card is not active"),
        R.PROCESSOR_DECLINED: WireError(DECLINED, "Payment declined"),
        R.PROCESSOR_ERROR: WireError(DECLINED, "The payment could not be processed"),
        R.PAYMENTS_NOT_CONFIGURED: WireError(
            f"{PREFIX}.system_error", "Payments are not configured for this merchant"
        ),
    },
)
SUBSCRIPTION = Service(
    name="subscription", title="Subscription Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")
PAYING = (
    R.INVALID_PAYMENT_METHOD,
    R.PROCESSOR_DECLINED,
    R.PROCESSOR_ERROR,
    R.PAYMENTS_NOT_CONFIGURED,
)
CARD = (R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE)

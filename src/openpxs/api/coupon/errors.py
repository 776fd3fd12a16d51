"""The Coupon Service, and how it answers each refusal (coupon.yaml errors).

The Check Service has two coupon refusals; this service has one per reason.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

INVALID_CARD = WireError("coupon.invalid_card", "Invalid card")

REFUSALS = table(
    "coupon",
    {
        Reason.SYSTEM_ERROR: "System error",
        # Not in coupon.yaml: a merchantId that is missing or not a number.
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_STORE: "Invalid store",
        Reason.INVALID_DATETIME: "Invalid date/time",
        Reason.CHECK_NUMBER_REQUIRED: "Check number is required",
        Reason.ALREADY_VOIDED: "Coupon usage already voided",
    },
    special={
        Reason.INVALID_COUPON: WireError("coupon.invalid_code", "Invalid coupon code"),
        Reason.COUPON_NOT_FOUND: WireError("coupon.invalid_coupon_id", "Invalid coupon"),
        Reason.COUPON_NOT_YET_VALID: WireError("coupon.not_active", "Coupon is not active"),
        Reason.COUPON_EXPIRED: WireError("coupon.expired", "Coupon has expired"),
        Reason.COUPON_NOT_AT_STORE: WireError("coupon.invalid_store", "Invalid store"),
        Reason.COUPON_USED_UP: WireError(
            "coupon.usage_limit_reached", "Coupon usage limit reached"
        ),
        Reason.CARD_NOT_FOUND: INVALID_CARD,
        Reason.CARD_NOT_ACTIVE: INVALID_CARD,
        Reason.COUPON_USE_NOT_FOUND: WireError("coupon.usage_not_found", "Coupon usage not found"),
    },
)

COUPON = Service(name="coupon", title="Coupon Service", success="success", refusals=REFUSALS)
B2B = ("b2b",)

# A card named with a use: unknown or not active.
CARD = (Reason.CARD_NOT_FOUND, Reason.CARD_NOT_ACTIVE)
# The store a use is at: not the merchant's, or not one of the coupon's.
STORE = (Reason.INVALID_STORE, Reason.COUPON_NOT_AT_STORE)

"""The Check Service, and how it answers each refusal (check.yaml errors)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

INVALID_COUPON = WireError("check.invalid_coupon", "Invalid coupon code")
NOT_APPLICABLE = WireError("check.coupon_not_applicable", "Coupon does not apply to this check")

REFUSALS = table(
    "check",
    {
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_STORE: "Invalid store",
        Reason.CARD_NOT_FOUND: "Card not found",
        Reason.CARD_NOT_ACTIVE: "Card is not active",
        Reason.INVALID_REGISTRATION_CODE: "Invalid registration code",
        Reason.CARD_NOT_IN_REQUIRED_STATE: "Card not in required state",
        Reason.REWARD_NOT_AVAILABLE: "Reward is not available",
        Reason.INSUFFICIENT_BALANCE: "Insufficient balance",
        Reason.AMOUNTS_EXCEED_CHECK_TOTAL: "Card amounts exceed the check total",
        Reason.CHECK_NOT_FOUND: "Check not found",
        Reason.DUPLICATE_CHECK: "Check has already been posted",
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_WALLET_CODE: "Invalid wallet code",
        Reason.INVALID_QUANTITY: "Invalid quantity",
        Reason.AMOUNT_OUT_OF_RANGE: "Amount is outside the allowed range",
    },
    special={
        # One code for every way a coupon's own rules refuse it, one for every way it
        # does not fit this check or has no uses left.
        Reason.INVALID_COUPON: INVALID_COUPON,
        Reason.COUPON_NOT_YET_VALID: INVALID_COUPON,
        Reason.COUPON_EXPIRED: INVALID_COUPON,
        Reason.COUPON_NOT_AT_STORE: NOT_APPLICABLE,
        Reason.COUPON_USED_UP: NOT_APPLICABLE,
        Reason.COUPON_NOT_APPLICABLE: NOT_APPLICABLE,
    },
)

CHECK = Service(name="check", title="Check Service", success="success", refusals=REFUSALS)
B2B = ("b2b",)

# What naming a card can be refused for.
CARD = (Reason.CARD_NOT_FOUND, Reason.INVALID_REGISTRATION_CODE)
# Working a check out against the card's account (the store must be the merchant's).
EVALUATE = (Reason.INVALID_STORE, *CARD, Reason.CARD_NOT_ACTIVE)
# Posting it: an inactive card may be activated first, and a check posts once.
POST = (*EVALUATE, Reason.CARD_NOT_IN_REQUIRED_STATE, Reason.DUPLICATE_CHECK)
# Every way a coupon can be refused.
COUPONS = (
    Reason.INVALID_COUPON,
    Reason.COUPON_NOT_YET_VALID,
    Reason.COUPON_EXPIRED,
    Reason.COUPON_NOT_AT_STORE,
    Reason.COUPON_USED_UP,
    Reason.COUPON_NOT_APPLICABLE,
)
REDEEM = (Reason.REWARD_NOT_AVAILABLE, Reason.INSUFFICIENT_BALANCE)

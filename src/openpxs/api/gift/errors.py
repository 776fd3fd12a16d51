"""The Gift Service, and how it answers each refusal (gift.yaml errors).

Every code is inferred (the reference's table could not be read); every refusal
answers ``failure``.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

R = Reason
PREFIX = "gift"
INVALID_CARD = WireError(f"{PREFIX}.invalid_card", "Invalid card")
INVALID_AMOUNT = WireError(f"{PREFIX}.invalid_amount", "Invalid amount")
NOT_ACTIVE = WireError(f"{PREFIX}.card_not_active", "Card is not active")

REFUSALS = table(
    PREFIX,
    {
        R.CARD_ALREADY_ACTIVE: "Card is already active",
        R.INVALID_STORE: "Invalid store",
        R.FIELD_TOO_LONG: "A field exceeds its maximum length",
        R.MAX_BALANCE_EXCEEDED: "Maximum card balance exceeded",
        R.INSUFFICIENT_BALANCE: "Insufficient balance",
        R.DUPLICATE_TRANSACTION: "Duplicate transaction",
        R.TRANSACTION_NOT_FOUND: "Transaction not found",
        # Not in gift.yaml: a merchantId that is missing or not a number.
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={
        R.SYSTEM_ERROR: WireError(f"{PREFIX}.system_error", "System error", joiner=None),
        R.CARD_NOT_FOUND: INVALID_CARD,
        R.INVALID_REGISTRATION_CODE: INVALID_CARD,
        R.CARD_NOT_ACTIVE: NOT_ACTIVE,
        # A retired card (exchanged, disabled) is neither sellable nor usable.
        R.CARD_NOT_IN_REQUIRED_STATE: NOT_ACTIVE,
        R.INVALID_QUANTITY: INVALID_AMOUNT,
        R.AMOUNT_OUT_OF_RANGE: INVALID_AMOUNT,
        R.ALREADY_VOIDED: WireError(f"{PREFIX}.already_reversed", "Transaction already reversed"),
    },
)
GIFT = Service(name="gift", title="Gift Service", success="success", refusals=REFUSALS)
B2B = ("b2b",)

# What a call naming a card at a store may be refused for.
CARD = (R.CARD_NOT_FOUND, R.INVALID_REGISTRATION_CODE, R.INVALID_STORE)

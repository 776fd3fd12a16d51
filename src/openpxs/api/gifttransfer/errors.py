"""The Gift Transfer Service, and how it answers each refusal (gifttransfer.yaml).

No error table of the service was readable: every code is the spec's inferred one.
"""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

PREFIX = "gifttransfer"
REFUSALS = table(
    PREFIX,
    {
        R.SYSTEM_ERROR: "System error",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
        R.CARD_NOT_ACTIVE: "Card not active",
        R.INVALID_CARD_TEMPLATE: "Invalid card template",
        R.WALLET_NOT_GIFTABLE: "This reward cannot be gifted",
        R.INSUFFICIENT_BALANCE: "Insufficient balance",
        R.INVALID_RECIPIENT: "Invalid recipient",
        R.SAME_ACCOUNT: "Cannot gift to the same account",
        R.MESSAGE_TOO_LONG: "Transfer message is too long",
        R.INVALID_CLAIM_CODE: "Invalid claim code",
        R.TRANSFER_ALREADY_CLAIMED: "Gift has already been claimed",
        R.TRANSFER_EXPIRED: "Gift has expired",
    },
    special={
        R.CARD_NOT_FOUND: WireError(f"{PREFIX}.invalid_card", "Invalid card"),
        R.INVALID_WALLET_CODE: WireError(f"{PREFIX}.invalid_wallet", "Invalid wallet"),
    },
)
GIFT_TRANSFER = Service(
    name="gifttransfer", title="Gift Transfer Service", success="success", refusals=REFUSALS
)
B2B = ("b2b",)

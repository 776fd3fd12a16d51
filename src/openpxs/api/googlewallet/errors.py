"""The Google Wallet Service, and how it answers each refusal (googlewallet.yaml errors).

No error table of the service was readable: the three codes are the spec's inferred
ones. A request that cannot be read or names no merchant answers system_error.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

SYSTEM_ERROR = WireError("googlewallet.system_error", "System error")

REFUSALS = table(
    "googlewallet",
    {},
    special={
        Reason.SYSTEM_ERROR: SYSTEM_ERROR,
        Reason.INVALID_REQUEST: SYSTEM_ERROR,
        Reason.INVALID_MERCHANT: SYSTEM_ERROR,
        Reason.WALLET_NOT_CONFIGURED: WireError(
            "googlewallet.not_configured", "Google Wallet is not configured for this merchant"
        ),
        Reason.CARD_NOT_FOUND: WireError("googlewallet.invalid_card", "Invalid card"),
    },
)

GOOGLEWALLET = Service(
    name="googlewallet",
    title="Google Wallet (Android Pay) Service",
    success="success",
    refusals=REFUSALS,
)
STYLES = ("b2b", "oauth")

"""The Balance Transfer Service, and how it answers each refusal (balancetransfer.yaml).

Only balancetransfer.error and balancetransfer.invalid_from_card were readable in the
reference; the other codes are the spec's inferred ones.
"""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import SIGN_IN, WireError, table
from openpxs.wire.registry import Service

PREFIX = "balancetransfer"
INVALID_TO_CARD = WireError(f"{PREFIX}.invalid_to_card", "Card number is invalid")

REFUSALS = table(
    PREFIX,
    {
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
        R.SAME_CARD: "Cannot transfer balances to the same card",
        R.INCOMPATIBLE_WALLETS: "Not all balances can be transferred to this card",
        R.NOTHING_TO_TRANSFER: "There are no balances to transfer",
    },
    special={
        R.SYSTEM_ERROR: WireError(f"{PREFIX}.error", "System error"),
        # The reference renders the quotes typographically; the raw text is straight.
        R.SOURCE_CARD_NOT_FOUND: WireError(
            f"{PREFIX}.invalid_from_card", "'From' card number is invalid"
        ),
        R.SOURCE_CARD_NOT_ACTIVE: WireError(
            f"{PREFIX}.from_card_not_active", "'From' card is not active"
        ),
        R.INVALID_REGISTRATION_CODE: WireError(
            f"{PREFIX}.invalid_reg_code", "Registration code is invalid"
        ),
        R.TOO_MANY_ATTEMPTS: SIGN_IN[R.TOO_MANY_ATTEMPTS],
        R.CARD_NOT_FOUND: INVALID_TO_CARD,
        R.CARD_NOT_ACTIVE: WireError(INVALID_TO_CARD.code, "Card is not active"),
    },
)
BALANCE_TRANSFER = Service(
    name="balancetransfer", title="Balance Transfer Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")

"""The Checkin Service, and how it answers each refusal (checkin.yaml errors)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "checkin",
    {
        Reason.SYSTEM_ERROR: "System error",
        # Not in checkin.yaml: a request that cannot be read, or an account object
        # without exactly one identifier.
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_STORE: "Invalid store",
        Reason.ACCOUNT_NOT_ACTIVE: "Account not active",
        Reason.TOO_MANY_CHECKINS: "Maximum number of checkins reached for this period",
        Reason.INVALID_CHECKIN_TIME: "Invalid checkin time",
    },
    special={
        Reason.CARD_NOT_FOUND: WireError("checkin.invalid_account", "Invalid account"),
        Reason.CHECKIN_TOO_SOON: WireError(
            "checkin.too_soon", "Not enough time has passed since the last checkin"
        ),
    },
)

CHECKIN = Service(name="checkin", title="Checkin Service", success="success", refusals=REFUSALS)
STYLES = ("b2b", "oauth")

"""The Store Service, and how it answers each refusal (store.yaml errors)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

INVALID_INPUT = WireError("store.invalid_input", "Invalid input")

REFUSALS = table(
    "store",
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_STORE_GROUP: "Invalid store group",
    },
    special={
        # store.yaml names no invalid-request code: an unreadable or out-of-range
        # coordinate or limit is its invalid input.
        Reason.INVALID_REQUEST: INVALID_INPUT,
    },
)

STORE = Service(name="store", title="Store Service", success="success", refusals=REFUSALS)
ANONYMOUS = ("anonymous",)

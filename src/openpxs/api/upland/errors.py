"""The Upland Service, and how it answers each refusal (upland.yaml errors)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import table
from openpxs.wire.registry import Service

REFUSALS = table(
    "upland",
    {
        Reason.SYSTEM_ERROR: "System error",
        # Not in upland.yaml: a request that cannot be read.
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_PHONE: "Invalid mobile phone number",
        Reason.ACCOUNT_NOT_FOUND: "Account not found",
    },
)

UPLAND = Service(name="upland", title="Upland Service", success="success", refusals=REFUSALS)

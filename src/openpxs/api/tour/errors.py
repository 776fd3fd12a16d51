"""The Tour Service, and how it answers each refusal (tour.yaml errors)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "tour",
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_TOUR: "Invalid tour",
    },
    special={Reason.CARD_NOT_FOUND: WireError("tour.invalid_card", "Invalid card")},
)

TOUR = Service(name="tour", title="Tour Service", success="success", refusals=REFUSALS)
STYLES = ("b2b", "oauth")

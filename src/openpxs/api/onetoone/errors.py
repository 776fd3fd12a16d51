"""The One To One Service, and how it answers each refusal (onetoone.yaml errors, all
inferred; the ones below the spec's list are this server's, named in
docs/api/operators-and-apps.md)."""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "onetoone",
    {
        R.SYSTEM_ERROR: "System error",
        R.NO_CADENCE: "Account has no One To One cadence",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={R.CARD_NOT_FOUND: WireError("onetoone.invalid_card", "Invalid card")},
)
ONE_TO_ONE = Service(
    name="onetoone", title="One To One Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")

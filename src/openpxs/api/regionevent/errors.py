"""The Region Event Service, and how it answers each refusal (regionevent.yaml errors).

A dead or unknown token is answered as on every oauth call (auth.yaml): HTTP 401 with
``invalid_token``, which apps answer by signing in or fetching the region definitions
again; regionevent.invalid_token is therefore not sent (docs/api/places.md).
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "regionevent",
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.NO_STORE: "No favorite or enrollment store for account",
        Reason.INVALID_REGION: "Invalid region",
    },
    special={
        Reason.CARD_NOT_FOUND: WireError("regionevent.invalid_card", "Invalid card"),
        Reason.INSUFFICIENT_SCOPE: WireError(
            "regionevent.missing_scope", "Access token lacks region_event_post scope"
        ),
    },
)

REGIONEVENT = Service(
    name="regionevent", title="Region Event Service", success="success", refusals=REFUSALS
)
OAUTH = ("oauth",)

"""The Region Event Service, and how it answers each refusal (regionevent.yaml errors)."""

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
        # A dead or unknown token: HTTP 401 as for every oauth call, so apps refresh or
        # fetch the region definitions again; the code is this service's own.
        Reason.INVALID_TOKEN: WireError(
            "regionevent.invalid_token",
            "Invalid region event access token",
            status=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ),
    },
)

REGIONEVENT = Service(
    name="regionevent", title="Region Event Service", success="success", refusals=REFUSALS
)
OAUTH = ("oauth",)

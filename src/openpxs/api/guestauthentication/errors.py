"""The Guest Authentication Service, and how it answers each refusal.

Credentials that match no guest answer ``{"result": "noMatchingGuests"}`` and nothing
else (guestauthentication.yaml); a locked sign-in answers failure with this service's
own code.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import TOO_MANY, WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "guestauthentication",
    {
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.SYSTEM_ERROR: "System error",
    },
    special={
        Reason.ACCOUNT_LOCKED: WireError(
            "guestauthentication.account_locked", TOO_MANY, joiner="; "
        ),
        # The code is for the request log only: the reply carries the result alone.
        Reason.COULD_NOT_AUTHENTICATE: WireError(
            "could_not_authenticate", "No matching guests", result="noMatchingGuests", bare=True
        ),
    },
)
GUEST_AUTHENTICATION = Service(
    name="guestauthentication",
    title="Guest Authentication Service",
    success="authenticatedSuccess",
    refusals=REFUSALS,
)
B2B = ("b2b",)

"""The Geolocation Service, and how it answers each refusal (geolocation.yaml errors).

The service documents its failure member as ``code``; every other service (and the
clients' shared parsing) reads ``errorCode``. Its failures carry both names.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "geolocation",
    {},
    special={
        Reason.SYSTEM_ERROR: WireError(
            "geolocation.system_error", "System error", plain_names=True
        ),
        Reason.INVALID_MERCHANT: WireError(
            "geolocation.invalid_merchant", "Invalid merchant", plain_names=True
        ),
        # Missing or malformed inputs answer inputFailure, not failure (documented).
        Reason.INVALID_REQUEST: WireError(
            "geolocation.invalid_input",
            "Invalid address input",
            result="inputFailure",
            plain_names=True,
        ),
        Reason.ADDRESS_NOT_LOCATED: WireError(
            "geolocation.address_not_found", "Address could not be found", plain_names=True
        ),
    },
)

GEOLOCATION = Service(
    name="geolocation", title="Geolocation Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth", "anonymous")

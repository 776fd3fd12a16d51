"""The External Configuration Service, and how it answers each refusal
(externalconfiguration.yaml errors, all inferred; the ones below the spec's list are
this server's, named in docs/api/operators-and-apps.md)."""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import table
from openpxs.wire.registry import Service

REFUSALS = table(
    "externalconfiguration",
    {
        R.SYSTEM_ERROR: "System error",
        R.INVALID_INTEGRATION: "Invalid integration",
        R.APP_NOT_FOUND: "No configuration found for this application",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
)
EXTERNAL_CONFIGURATION = Service(
    name="externalconfiguration",
    title="External Configuration Service",
    success="withUpdates",
    refusals=REFUSALS,
)

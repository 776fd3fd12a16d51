"""The CSR Service, and how it answers each refusal (csr.yaml errors, all inferred; the
ones below the spec's list are this server's, named in docs/api/operators-and-apps.md)."""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "csr",
    {
        R.SYSTEM_ERROR: "System error",
        R.COMMENT_TOO_LONG: "Comment must be fewer than 500 characters",
        R.INVALID_COMMENT: "Invalid comment",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={R.CARD_NOT_FOUND: WireError("csr.invalid_card", "Invalid card")},
)
# The documented success values are addSuccess and getSuccess; each reply sets its own.
CSR = Service(name="csr", title="CSR Service", success="addSuccess", refusals=REFUSALS)

"""The Push Messaging Services, and how they answer each refusal (pushmessaging.yaml)."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "pushmessaging",
    {
        Reason.SYSTEM_ERROR: "System error",
        # Not in pushmessaging.yaml: a request that cannot be read, or an accountCode
        # that is no token of the platform.
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_EXTERNAL_IDENTIFIER: "Invalid external identifier",
        Reason.EXTERNAL_ACCOUNT_IN_USE: "External account already in use",
        Reason.EXTERNAL_ACCOUNT_NOT_FOUND: "External account not found",
    },
    special={
        Reason.CARD_NOT_FOUND: WireError("pushmessaging.invalid_card", "Invalid card"),
    },
)

PUSHMESSAGING = Service(
    name="pushmessaging", title="Push Messaging Services", success="success", refusals=REFUSALS
)

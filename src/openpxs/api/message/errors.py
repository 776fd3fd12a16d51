"""The Message Service, and how it answers each refusal (message.yaml errors, all
inferred; the ones below the spec's list are this server's, named in
docs/api/messages.md)."""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

INVALID_CARD = WireError("message.invalid_card", "Invalid card")
INVALID_USER = WireError("message.invalid_user", "Invalid user")

REFUSALS = table(
    "message",
    {
        R.SYSTEM_ERROR: "System error",
        R.MESSAGE_NOT_FOUND: "Message not found",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={
        R.USER_NOT_FOUND: INVALID_USER,
        R.ACCOUNT_NOT_FOUND: INVALID_USER,
        R.CARD_NOT_FOUND: INVALID_CARD,
    },
)
MESSAGE = Service(name="message", title="Message Service", success="success", refusals=REFUSALS)

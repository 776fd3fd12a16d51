"""The REST Message Service, and how it answers each refusal (messaging.yaml errors, all
inferred; the ones below the spec's list are this server's, named in
docs/api/messages.md)."""

from openpxs.domain.errors import Reason as R
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

P = "messaging"

REFUSALS = table(
    P,
    {
        R.SYSTEM_ERROR: "System error",
        R.INVALID_DELIVERY_METHOD: "Delivery method not supported",
        R.NO_EMAIL_ADDRESS: "Account has no email address",
        R.NO_PUSH_DEVICE: "Account has no device registered for pushes",
        R.GUEST_OPTED_OUT: "Guest has opted out of email",
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={
        R.INVALID_TEMPLATE: WireError(f"{P}.invalid_template", "Invalid campaign message template"),
        R.CARD_NOT_FOUND: WireError(f"{P}.invalid_card", "Invalid card"),
        R.ACCOUNT_NOT_FOUND: WireError(f"{P}.invalid_account", "Invalid account"),
        # Only the e-mail variant looks a guest up by user.
        R.USER_NOT_FOUND: WireError(f"{P}.invalid_email", "Invalid email"),
    },
)
MESSAGING = Service(
    name="messaging", title="REST Message Service", success="success", refusals=REFUSALS
)
SEND = (
    R.INVALID_TEMPLATE,
    R.INVALID_DELIVERY_METHOD,
    R.NO_EMAIL_ADDRESS,
    R.NO_PUSH_DEVICE,
    R.GUEST_OPTED_OUT,
)

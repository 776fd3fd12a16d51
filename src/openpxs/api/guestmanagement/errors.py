"""The Guest Management Service, and how it answers each refusal.

A new password the guest's form refuses answers field_validation with the first problem
as the whole message and every problem in ``errorsByField``.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import TOO_MANY, WireError, table
from openpxs.wire.registry import Service

PREFIX = "guestmanagement"
REFUSALS = table(
    PREFIX,
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.MULTIPLE_IDENTIFIERS: (
            "Only one of username, accountId, printedCardNumber or email may be provided"
        ),
        Reason.NO_IDENTIFIER: "One of username, accountId, printedCardNumber or email is required",
        Reason.USER_NOT_FOUND: "User not found",
        Reason.NO_EMAIL_ADDRESS: "User has no email address",
        Reason.INVALID_RESET_CODE: "The reset code is not valid: it is unknown, used or expired",
    },
    special={
        Reason.TOO_MANY_ATTEMPTS: WireError(f"{PREFIX}.too_many_attempts", TOO_MANY, joiner="; "),
        Reason.FIELD_VALIDATION: WireError(
            f"{PREFIX}.field_validation", "One or more fields are invalid", joiner=None
        ),
    },
)
GUEST_MANAGEMENT = Service(
    name="guestmanagement",
    title="Guest Management Service",
    success="success",
    refusals=REFUSALS,
)
GUEST_FACING = ("anonymous", "b2b")
# Every way starting a reset can be refused, by either operation (to a caller with the
# app's credential only the first three: the others would tell which guests exist).
START_REFUSALS = (
    Reason.TOO_MANY_ATTEMPTS,
    Reason.MULTIPLE_IDENTIFIERS,
    Reason.NO_IDENTIFIER,
    Reason.USER_NOT_FOUND,
    Reason.NO_EMAIL_ADDRESS,
)

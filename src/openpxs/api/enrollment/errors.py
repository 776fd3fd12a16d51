"""The Enrollment Service, and how it answers each refusal (enrollment.yaml errors).

A form's bad values answer ``enrollment.field_validation`` with ``errorsByField``; a
taken unique value answers the result ``uniquenessConflict``, so an app can offer
"sign in instead". Refusals whose details are whole sentences (an invalid request, an
unknown store) answer the detail alone, as clients have always read them.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import SIGN_IN, USER_NOT_FOUND, WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "enrollment",
    {
        Reason.FIELD_VALIDATION: "One or more fields are invalid",
        Reason.INVALID_CARD_TEMPLATE: "Invalid card template",
        Reason.CARD_NOT_FOUND: "Card not found",
        Reason.CARD_NOT_ACTIVE: "Card is not active",
        Reason.CARD_ALREADY_ACTIVE: "Card is already active",
        Reason.CARD_NUMBER_IN_USE: "Card number is already in use",
        Reason.INVALID_PERK: "Invalid perk",
        Reason.INVALID_PERK_TYPE: "Invalid perk type",
        Reason.ADDRESS_NOT_FOUND: "Address not found",
        Reason.RELATED_GUEST_NOT_FOUND: "Related guest not found",
        Reason.EMAIL_ALREADY_VERIFIED: "Email address is already verified",
        Reason.INVALID_VERIFICATION_CODE: "Invalid verification code",
        Reason.NO_COMBINE_CANDIDATES: "No accounts found to combine",
        Reason.INVALID_WORKFLOW: "Invalid or expired combine workflow",
        Reason.INVALID_MERCHANT: "Invalid merchant",
    },
    special={
        Reason.UNIQUENESS_CONFLICT: WireError(
            "enrollment.uniqueness_conflict",
            "A unique field is already in use by another user",
            result="uniquenessConflict",
        ),
        Reason.CARD_ALREADY_REGISTERED: WireError(
            "enrollment.already_registered", "Account is already registered"
        ),
        # A retired (exchanged, disabled) card cannot be activated either; clients know
        # only the one code for a card that is not inactive.
        Reason.CARD_NOT_IN_REQUIRED_STATE: WireError(
            "enrollment.card_already_active", "Card cannot be activated"
        ),
        Reason.NO_EMAIL_ADDRESS: WireError("enrollment.email_missing", "User has no email address"),
        Reason.USER_NOT_FOUND: USER_NOT_FOUND,
        Reason.CARD_NOT_REGISTERED: WireError(
            "enrollment.card_not_registered", "Card is not registered", joiner=None
        ),
        Reason.INVALID_REQUEST: WireError(
            "enrollment.invalid_request", "Invalid request", joiner=None
        ),
        Reason.INVALID_STORE: WireError("enrollment.invalid_store", "Invalid store", joiner=None),
        Reason.SYSTEM_ERROR: WireError("enrollment.system_error", "System error", joiner=None),
        # Guessing registration or verification codes without a guest is counted
        # against the integration, and answered as a sign-in lock.
        Reason.TOO_MANY_ATTEMPTS: SIGN_IN[Reason.TOO_MANY_ATTEMPTS],
    },
)

ENROLLMENT = Service(
    name="enrollment",
    title="Enrollment Service",
    success="success",
    refusals=REFUSALS,
)

# What reading a form may refuse, on every call that writes fields.
FIELDS = (Reason.FIELD_VALIDATION, Reason.UNIQUENESS_CONFLICT, Reason.INVALID_CARD_TEMPLATE)
# What a call creating an account may refuse beyond its fields.
CREATING = (*FIELDS, Reason.INVALID_STORE)
# What activating a physical card may refuse beyond its fields.
ACTIVATING = (
    *CREATING,
    Reason.CARD_NOT_FOUND,
    Reason.CARD_ALREADY_ACTIVE,
    Reason.CARD_NOT_IN_REQUIRED_STATE,
)

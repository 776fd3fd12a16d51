"""The Guest Service, and how it answers each refusal (guest.yaml errors).

A username that names nobody answers ``user_info.not_found`` here as in every service.
Attaching a card is a guess at its registration code: once too many guesses were wrong,
the attach operations answer the lock as a wrong registration code that says how long
to wait (``ATTACHING``), where a card sign-in answers ``system.too_many_attempts``.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import TOO_MANY, USER_NOT_FOUND, WireError, table
from openpxs.wire.registry import Service

MESSAGES = {
    Reason.EXTERNAL_ACCOUNT_NOT_FOUND: "External account not found",
    Reason.CARD_NOT_FOUND: "Card not found",
    Reason.CARD_NOT_ACTIVE: "Card not active",
    Reason.ACCOUNT_NOT_FOUND: "Account not found",
    Reason.CARD_NOT_REGISTERED: "Card is not registered to a user",
    Reason.CARD_ALREADY_REGISTERED: "Card is already registered",
    Reason.INVALID_REGISTRATION_CODE: "Invalid registration code",
    Reason.CARDS_CANNOT_BE_COMBINED: "Cards cannot be combined",
    Reason.INVALID_STATUS_CHANGE: "Invalid card status change",
    Reason.TRANSACTION_NOT_FOUND: "Transaction not found",
    Reason.INVALID_REFERRAL: "Invalid referral",
    Reason.INVALID_REFERRAL_CODE: "Invalid referral code",
    Reason.INVALID_VISIT_CODE: "Invalid visit code",
    Reason.VISIT_CODE_ALREADY_USED: "Visit code has already been used",
    Reason.INVALID_MESSAGE_FREQUENCY: "Invalid message frequency",
    Reason.INVALID_LANGUAGE: "Invalid language",
    Reason.AMOUNT_OUT_OF_RANGE: "Amount is outside the allowed range",
    Reason.INVALID_REQUEST: "Invalid request",
    Reason.INVALID_MERCHANT: "Invalid merchant",
}
SPECIAL = {
    Reason.USER_NOT_FOUND: USER_NOT_FOUND,
    # A system error that says what failed says only that.
    Reason.SYSTEM_ERROR: WireError("guest.system_error", "System error", joiner=None),
}
REFUSALS = table("guest", MESSAGES, special=SPECIAL)
# attachCard and attachAndCombineCards: "Too many failed attempts; try again in 5 minutes".
ATTACHING = table(
    "guest",
    MESSAGES,
    special={
        **SPECIAL,
        Reason.TOO_MANY_ATTEMPTS: WireError(
            "guest.invalid_registration_code", TOO_MANY, joiner="; "
        ),
    },
)
# canCombineCards, whose only refusal is "not found": the same with how long to wait.
CHECKING = table(
    "guest",
    MESSAGES,
    special={
        **SPECIAL,
        Reason.TOO_MANY_ATTEMPTS: WireError("guest.card_not_found", TOO_MANY, joiner="; "),
    },
)

GUEST = Service(name="guest", title="Guest Service", success="success", refusals=REFUSALS)
# Styles by kind of endpoint (guest.yaml): GETs addressing the guest's own card, and
# endpoints keyed by account id or username and all POSTs.
BY_CARD = ("oauth", "card", "b2b")
BY_ID = ("oauth", "b2b")

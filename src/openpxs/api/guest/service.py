"""The Guest Service: its name, success value and error vocabulary."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import USER_NOT_FOUND, legacy
from openpxs.wire.registry import Service

GUEST = Service(
    name="guest",
    title="Guest Service",
    success="success",
    refusals=legacy(
        "guest",
        {
            "external_account_not_found": "External account not found",
            "card_not_found": "Card not found",
            "account_not_found": "Account not found",
            "card_not_registered": "Card is not registered to a user",
            "card_already_registered": "Card is already registered",
            "invalid_registration_code": "Invalid registration code",
            "cards_cannot_be_combined": "Cards cannot be combined",
            "invalid_status_change": "Invalid card status change",
            "transaction_not_found": "Transaction not found",
            "invalid_referral": "Invalid referral",
            "invalid_referral_code": "Invalid referral code",
            "invalid_visit_code": "Invalid visit code",
            "visit_code_already_used": "Visit code has already been used",
            "invalid_message_frequency": "Invalid message frequency",
            "invalid_language": "Invalid language",
            "invalid_request": "Invalid request",
            "invalid_merchant": "Invalid merchant",
        },
        special={Reason.USER_NOT_FOUND: USER_NOT_FOUND},
    ),
)
# Styles by kind of endpoint (guest.yaml): GETs addressing the guest's own card, and
# endpoints keyed by account id or username and all POSTs.
BY_CARD = ("oauth", "card", "b2b")
BY_ID = ("oauth", "b2b")

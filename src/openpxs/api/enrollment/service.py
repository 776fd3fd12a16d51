"""The Enrollment Service: its name, success value and error vocabulary."""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import USER_NOT_FOUND, legacy
from openpxs.wire.registry import Service

ENROLLMENT = Service(
    name="enrollment",
    title="Enrollment Service",
    success="success",
    refusals=legacy(
        "enrollment",
        {
            "field_validation": "One or more fields are invalid",
            "uniqueness_conflict": "A unique field is already in use by another user",
            "invalid_card_template": "Invalid card template",
            "card_not_found": "Card not found",
            "card_not_active": "Card is not active",
            "card_already_active": "Card is already active",
            "card_number_in_use": "Card number is already in use",
            "already_registered": "Account is already registered",
            "invalid_perk": "Invalid perk",
            "invalid_perk_type": "Invalid perk type",
            "address_not_found": "Address not found",
            "related_guest_not_found": "Related guest not found",
            "email_missing": "User has no email address",
            "email_already_verified": "Email address is already verified",
            "invalid_verification_code": "Invalid verification code",
            "no_combine_candidates": "No accounts found to combine",
            "invalid_workflow": "Invalid or expired combine workflow",
            "invalid_request": "Invalid request",
            "invalid_merchant": "Invalid merchant",
        },
        special={Reason.USER_NOT_FOUND: USER_NOT_FOUND},
    ),
)

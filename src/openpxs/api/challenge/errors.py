"""The Challenge Service, and how it answers each refusal (challenge.yaml errors).

challenge.yaml names its own user_not_found (not errors.yaml's user_info.not_found), and
one invalid_card for a card that is unknown, not active, or not the caller's.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

INVALID_CARD = WireError("challenge.invalid_card", "Invalid card")

REFUSALS = table(
    "challenge",
    {
        Reason.SYSTEM_ERROR: "System error",
        # Not in challenge.yaml: a merchantId that is missing or not a number.
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.ACCOUNT_NOT_FOUND: "Account not found",
        Reason.USER_NOT_FOUND: "User not found",
        Reason.GROUP_NOT_FOUND: "Group not found",
        Reason.NOT_GROUP_MEMBER: "User is not a member of the group",
        Reason.CHALLENGE_NOT_FOUND: "Challenge not found",
        Reason.OCCURRENCE_NOT_FOUND: "Challenge occurrence not found",
        Reason.NOT_ELIGIBLE: "Not eligible for challenge",
        Reason.ALREADY_OPTED_IN: "Already opted in to challenge",
        Reason.NOT_OPTED_IN: "Not opted in to challenge",
        Reason.CHALLENGE_ENDED: "Challenge has ended",
        Reason.INVALID_CHARITABLE_ORGANIZATION: "Invalid charitable organization",
        # Not in challenge.yaml: a group member who is not its owner or an admin
        # opting the group in or out (socialgroup.yaml's roles).
        Reason.NOT_AUTHORIZED: "Not permitted to manage group",
    },
    special={
        Reason.CARD_NOT_FOUND: INVALID_CARD,
        Reason.CARD_NOT_ACTIVE: INVALID_CARD,
    },
)

CHALLENGE = Service(
    name="challenge", title="Challenge Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")

# A guest named by printedCardNumber: unknown (or not the caller's) card, closed account.
GUEST = (Reason.CARD_NOT_FOUND, Reason.ACCOUNT_NOT_FOUND)
# A group named by username and groupCode.
GROUP = (Reason.USER_NOT_FOUND, Reason.GROUP_NOT_FOUND, Reason.NOT_GROUP_MEMBER)

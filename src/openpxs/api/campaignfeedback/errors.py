"""The Campaign Feedback Service, and how it answers each refusal.

The documented codes are ``event_reward.*``, not ``campaignfeedback.*``
(campaignfeedback.yaml).
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

PREFIX = "event_reward"
REFUSALS = table(
    PREFIX,
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.INVALID_EVENT: "Invalid event",
        Reason.INVALID_WALLET_SPEC: "Invalid wallet specification",
        Reason.INVALID_STORE: "Invalid store",
        Reason.ACCOUNT_NOT_ACTIVE: "Account not active",
        Reason.CARD_NOT_ACTIVE: "Card not active",
        Reason.ACCOUNT_NOT_IN_EVENT: "Account not associated to event",
        Reason.REWARD_ALREADY_LOADED: "Reward already loaded",
        Reason.TRANSACTION_DENIED: "Unable to load reward",
        Reason.AMOUNT_OUT_OF_RANGE: "Amount is outside the allowed range",
        # Not in the documented table: a body that is not a LoadReward request at all.
        Reason.INVALID_REQUEST: "Invalid request",
    },
    special={
        Reason.INVALID_CAMPAIGN_CODE: WireError(f"{PREFIX}.invalid_code", "Invalid code"),
        Reason.CARD_NOT_FOUND: WireError(f"{PREFIX}.invalid_card", "Invalid card"),
        Reason.ACCOUNT_NOT_FOUND: WireError(f"{PREFIX}.invalid_account", "Invalid account"),
    },
)
CAMPAIGN_FEEDBACK = Service(
    name="campaignfeedback",
    title="Campaign Feedback Service",
    success="success",
    refusals=REFUSALS,
)
B2B = ("b2b",)
# Every reason a campaign code can be refused for, on both operations.
LOAD_REFUSALS = (
    Reason.INVALID_CAMPAIGN_CODE,
    Reason.CARD_NOT_FOUND,
    Reason.ACCOUNT_NOT_FOUND,
    Reason.INVALID_EVENT,
    Reason.INVALID_WALLET_SPEC,
    Reason.INVALID_STORE,
    Reason.ACCOUNT_NOT_ACTIVE,
    Reason.CARD_NOT_ACTIVE,
    Reason.ACCOUNT_NOT_IN_EVENT,
    Reason.REWARD_ALREADY_LOADED,
    Reason.TRANSACTION_DENIED,
)

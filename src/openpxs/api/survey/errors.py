"""The Survey Service, and how it answers each refusal (survey.yaml errors).

Every code of the table is inferred (the reference's Error Codes section could not be
read); the ones below the spec's list are this server's, named in docs/api/survey.md.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

R = Reason
PREFIX = "survey"
INVALID_CARD = WireError(f"{PREFIX}.invalid_card", "Invalid card")
INVALID_ACCOUNT = WireError(f"{PREFIX}.invalid_account", "Invalid account")

REFUSALS = table(
    PREFIX,
    {
        R.SYSTEM_ERROR: "System error",
        R.INVALID_SURVEY: "Invalid survey",
        R.ALREADY_OPTED_IN: "Already opted in to survey",
        R.MISSING_REQUIRED_ANSWER: "A required question was not answered",
        R.INVALID_ANSWER: "Invalid answer",
        # Not in survey.yaml: a merchantId that is missing or not a number, a body that
        # is not a request of this service, a storeCode that is not the merchant's.
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
        R.INVALID_STORE: "Invalid store",
    },
    special={
        R.USER_NOT_FOUND: WireError(f"{PREFIX}.invalid_user", "Invalid user"),
        R.CARD_NOT_FOUND: INVALID_CARD,
        R.CARD_NOT_ACTIVE: INVALID_CARD,
        R.ACCOUNT_NOT_FOUND: INVALID_ACCOUNT,
        R.ACCOUNT_NOT_ACTIVE: INVALID_ACCOUNT,
        R.NOT_ELIGIBLE_FOR_SURVEY: WireError(f"{PREFIX}.not_eligible", "Not eligible for survey"),
        R.ALREADY_RESPONDED: WireError(f"{PREFIX}.already_responded", "Survey already completed"),
    },
)
SURVEY = Service(name="survey", title="Survey Service", success="success", refusals=REFUSALS)
STYLES = ("b2b", "oauth")

# How each variant finds the account: a username (the signed-in guest's with oauth) or
# a printed card number.
BY_USERNAME = (R.USER_NOT_FOUND, R.ACCOUNT_NOT_FOUND)
BY_CARD = (R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE, R.ACCOUNT_NOT_ACTIVE)
OPT_IN = (R.INVALID_SURVEY, R.NOT_ELIGIBLE_FOR_SURVEY, R.ALREADY_OPTED_IN)
DETAILS = (R.INVALID_SURVEY, R.NOT_ELIGIBLE_FOR_SURVEY)
SUBMIT = (
    R.INVALID_SURVEY,
    R.NOT_ELIGIBLE_FOR_SURVEY,
    R.ALREADY_RESPONDED,
    R.MISSING_REQUIRED_ANSWER,
    R.INVALID_ANSWER,
    R.INVALID_STORE,
    # The account closed between finding it and paying the reward.
    R.ACCOUNT_NOT_ACTIVE,
)

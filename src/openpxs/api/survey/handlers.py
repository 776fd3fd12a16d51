"""Survey Service (survey.yaml): eligible surveys, opting in, the questions and
responding, each by username (the signed-in guest's with oauth) and by printed card
number. The rules are in services.surveys and domain.surveys."""

from __future__ import annotations

from openpxs.api.survey import models as m
from openpxs.api.survey.errors import (
    BY_CARD,
    BY_USERNAME,
    DETAILS,
    OPT_IN,
    STYLES,
    SUBMIT,
    SURVEY,
)
from openpxs.api.survey.replies import eligible_survey, survey_detail
from openpxs.services import surveys
from openpxs.services.surveys import Taker
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

READ = "account_read"
WRITE = "account_write"


async def _eligible(ctx: CallContext, taker: Taker) -> m.EligibleSurveysReply:
    found = await surveys.eligible(ctx, taker)
    return m.EligibleSurveysReply(surveys=[eligible_survey(s) for s in found])


async def _details(ctx: CallContext, taker: Taker, code: str | None) -> m.SurveyDetailsReply:
    survey = await surveys.details(ctx, taker, code)
    return m.SurveyDetailsReply(
        survey=survey_detail(survey, surveys.reward_description(ctx, survey))
    )


@endpoint(
    SURVEY,
    "eligibleSurveys",
    method="GET",
    request=m.EligibleByUsernameRequest,
    reply=m.EligibleSurveysReply,
    styles=STYLES,
    summary="Surveys a guest may take now (by username)",
    errors=BY_USERNAME,
    scope=READ,
)
async def eligible_surveys(
    ctx: CallContext, req: m.EligibleByUsernameRequest
) -> m.EligibleSurveysReply:
    """The surveys the user's account may take at this moment, in the program's order,
    each with its date and time-of-day window (merchant's local time). A survey whose
    window is closed, whose audience leaves the account out, or that the account has
    answered in its current occurrence is not listed; one that needs an opt-in is."""
    return await _eligible(ctx, await surveys.taker_by_username(ctx, req.username))


@endpoint(
    SURVEY,
    "eligibleSurveysByPrintedCardNumber",
    method="GET",
    request=m.EligibleByCardRequest,
    reply=m.EligibleSurveysReply,
    styles=STYLES,
    summary="Surveys a guest may take now (by card)",
    errors=BY_CARD,
    scope=READ,
)
async def eligible_surveys_by_card(
    ctx: CallContext, req: m.EligibleByCardRequest
) -> m.EligibleSurveysReply:
    """As eligibleSurveys, for the account of an active card."""
    return await _eligible(ctx, await surveys.taker_by_card(ctx, req.printedCardNumber))


@endpoint(
    SURVEY,
    "optIn",
    request=m.SurveyByUsernameRequest,
    reply=m.ResultReply,
    styles=STYLES,
    summary="Opt in to a survey (by username)",
    errors=(*BY_USERNAME, *OPT_IN),
    scope=WRITE,
)
async def opt_in(ctx: CallContext, req: m.SurveyByUsernameRequest) -> m.ResultReply:
    """Records that the account agreed to take the survey, which a survey with
    optInRequired needs before its questions can be fetched or answered. Refused for a
    survey that is closed or not for the account, and when the account opted in
    already."""
    taker = await surveys.taker_by_username(ctx, req.username)
    await surveys.opt_in(ctx, taker, req.surveyCode)
    return m.ResultReply()


@endpoint(
    SURVEY,
    "optInByPrintedCardNumber",
    request=m.SurveyByCardRequest,
    reply=m.ResultReply,
    styles=STYLES,
    summary="Opt in to a survey (by card)",
    errors=(*BY_CARD, *OPT_IN),
    scope=WRITE,
)
async def opt_in_by_card(ctx: CallContext, req: m.SurveyByCardRequest) -> m.ResultReply:
    """As optIn, for the account of an active card."""
    taker = await surveys.taker_by_card(ctx, req.printedCardNumber)
    await surveys.opt_in(ctx, taker, req.surveyCode)
    return m.ResultReply()


@endpoint(
    SURVEY,
    "surveyDetails",
    method="GET",
    request=m.SurveyByUsernameRequest,
    reply=m.SurveyDetailsReply,
    styles=STYLES,
    summary="A survey's questions (by username)",
    errors=(*BY_USERNAME, *DETAILS),
    scope=READ,
)
async def survey_details(ctx: CallContext, req: m.SurveyByUsernameRequest) -> m.SurveyDetailsReply:
    """The survey's title, introduction, questions in order with their choices (a
    RATING question lists its ratings as choices) and the reward a response pays.
    Refused while the survey is closed or not for the account, or needs an opt-in the
    account has not given."""
    return await _details(ctx, await surveys.taker_by_username(ctx, req.username), req.surveyCode)


@endpoint(
    SURVEY,
    "surveyDetailsByPrintedCardNumber",
    method="GET",
    request=m.SurveyByCardRequest,
    reply=m.SurveyDetailsReply,
    styles=STYLES,
    summary="A survey's questions (by card)",
    errors=(*BY_CARD, *DETAILS),
    scope=READ,
)
async def survey_details_by_card(
    ctx: CallContext, req: m.SurveyByCardRequest
) -> m.SurveyDetailsReply:
    """As surveyDetails, for the account of an active card."""
    taker = await surveys.taker_by_card(ctx, req.printedCardNumber)
    return await _details(ctx, taker, req.surveyCode)


@endpoint(
    SURVEY,
    "submitResponse",
    request=m.SubmitByUsernameRequest,
    reply=m.SubmitResponseReply,
    styles=STYLES,
    summary="Answer a survey (by username)",
    moves_value=True,
    errors=(*BY_USERNAME, *SUBMIT),
    scope=WRITE,
)
async def submit_response(
    ctx: CallContext, req: m.SubmitByUsernameRequest
) -> m.SubmitResponseReply:
    """Checks every answer against its question (required questions answered, choices
    offered, one choice for SINGLE_CHOICE, ratings in range, text within its length),
    stores the response once per account and survey occurrence, and pays the survey's
    reward into the account's wallet as a ledger transaction (surveyReward) in the same
    database transaction. A second response in the occurrence is
    survey.already_responded; a retry with the same Idempotency-Key replays the first
    reply."""
    taker = await surveys.taker_by_username(ctx, req.username)
    done = await surveys.submit(ctx, taker, req.surveyCode, req.answers(), req.storeCode)
    return m.SubmitResponseReply(rewardDescription=done.reward_description)


@endpoint(
    SURVEY,
    "submitResponseByPrintedCardNumber",
    request=m.SubmitByCardRequest,
    reply=m.SubmitResponseReply,
    styles=STYLES,
    summary="Answer a survey (by card)",
    moves_value=True,
    errors=(*BY_CARD, *SUBMIT),
    scope=WRITE,
)
async def submit_response_by_card(
    ctx: CallContext, req: m.SubmitByCardRequest
) -> m.SubmitResponseReply:
    """As submitResponse, for the account of an active card."""
    taker = await surveys.taker_by_card(ctx, req.printedCardNumber)
    done = await surveys.submit(ctx, taker, req.surveyCode, req.answers(), req.storeCode)
    return m.SubmitResponseReply(rewardDescription=done.reward_description)

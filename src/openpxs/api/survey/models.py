"""Request and reply objects of the Survey Service (survey.yaml).

Every operation comes twice, keyed by username or by printed card number; the two share
their members otherwise. Members whose problems have a refusal of their own (an unknown
surveyCode, an answer that does not fit its question) are read loosely here and judged
by the use case, so they answer survey.invalid_survey or survey.invalid_answer rather
than a generic invalid request.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.config.surveys import MAX_TEXT_LIMIT
from openpxs.domain.surveys import Answer
from openpxs.wire.types import FlexStr, ReplyModel, WireModel

Short = Annotated[str, Field(max_length=64)]


class _ByUsername(GuestRequest):
    # Optional for a signed-in guest (oauth), whose own user it then is.
    username: FlexStr | None = Field(default=None, max_length=254)


class _ByCard(GuestRequest):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)


class EligibleByUsernameRequest(_ByUsername):
    pass


class EligibleByCardRequest(_ByCard):
    pass


class _SurveyCode(WireModel):
    surveyCode: FlexStr | None = Field(
        default=None, max_length=64, description="The survey's code, from eligibleSurveys."
    )


class SurveyByUsernameRequest(_ByUsername, _SurveyCode):
    pass


class SurveyByCardRequest(_ByCard, _SurveyCode):
    pass


class SurveyAnswer(WireModel):
    """One answer: choiceCodes for a choice or rating question, text for a text
    question (a rating may also come as text, e.g. "4")."""

    questionCode: FlexStr = Field(
        default="", max_length=64, description="The question answered (questionCode)."
    )
    choiceCodes: list[Short] = Field(
        default_factory=list,
        max_length=100,
        description="The choices picked: one for SINGLE_CHOICE or RATING, one or more for "
        "MULTIPLE_CHOICE.",
    )
    text: str | None = Field(
        default=None,
        max_length=2 * MAX_TEXT_LIMIT,
        description='The answer of a TEXT question (or a RATING given as text, e.g. "4").',
    )

    def answer(self) -> Answer:
        return Answer(self.questionCode, tuple(self.choiceCodes), self.text)


class _Responses(WireModel):
    responses: list[SurveyAnswer] = Field(
        default_factory=list,
        max_length=200,
        description="One answer per question answered; unanswered optional questions may be "
        "left out.",
    )
    storeCode: FlexStr | None = Field(default=None, max_length=64)

    def answers(self) -> list[Answer]:
        return [r.answer() for r in self.responses]


class SubmitByUsernameRequest(SurveyByUsernameRequest, _Responses):
    pass


class SubmitByCardRequest(SurveyByCardRequest, _Responses):
    pass


class EligibleSurvey(ReplyModel):
    """A survey the guest may take now, with its date and time-of-day restrictions in
    the merchant's local time."""

    surveyCode: str = Field(description="The survey's code, as the other calls name it.")
    name: str = Field(description="The survey's title.")
    startDate: str | None = None
    endDate: str | None = None
    startTime: str | None = Field(default=None, description="hh:mm, local time")
    endTime: str | None = Field(default=None, description="hh:mm, local time, not included")
    optInRequired: bool = Field(
        description="The guest must opt in (optIn) before fetching or answering it."
    )


class EligibleSurveysReply(ReplyModel):
    result: str = "success"
    surveys: list[EligibleSurvey]


class SurveyChoice(ReplyModel):
    """One answer a question offers."""

    choiceCode: str = Field(description="The choice's code, as answers name it.")
    text: str = Field(description="The choice as guests read it.")


class SurveyQuestion(ReplyModel):
    """One question, with what its answer may be."""

    questionCode: str = Field(description="The question's code, as answers name it.")
    text: str = Field(description="The question as guests read it.")
    type: str = Field(description="SINGLE_CHOICE, MULTIPLE_CHOICE, RATING or TEXT")
    required: bool = Field(description="A response must answer it.")
    choices: list[SurveyChoice] = Field(
        default_factory=list, description="For a RATING question, the ratings from low to high."
    )
    maxChoices: int | None = Field(default=None, description="MULTIPLE_CHOICE: at most this many")
    maxLength: int | None = Field(default=None, description="TEXT: at most this many characters")


class SurveyDetail(ReplyModel):
    """A survey: its title, introduction, questions in order and reward."""

    surveyCode: str = Field(description="The survey's code.")
    name: str = Field(description="The survey's title.")
    introduction: str | None = Field(default=None, description="Text shown before the questions.")
    questions: list[SurveyQuestion] = Field(description="The questions, in order.")
    rewardDescription: str | None = Field(
        default=None, description="What a response pays, when it pays anything."
    )


class SurveyDetailsReply(ReplyModel):
    result: str = "success"
    survey: SurveyDetail = Field(description="The survey and its questions.")


class ResultReply(ReplyModel):
    result: str = "success"


class SubmitResponseReply(ReplyModel):
    result: str = "success"
    rewardDescription: str | None = Field(
        default=None, description="What the response paid, when the survey pays anything."
    )

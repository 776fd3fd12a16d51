"""Guest surveys (the ``surveys`` section): when each may be taken, by whom, its
questions and what answering it pays.

Dates and times are the merchant's local ones (``merchant.timezone``). ``MerchantConfig``
checks the references to wallets, stores and card templates; the rules that judge a
window or an answer live in ``domain.surveys``.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
QuestionType = Literal["single_choice", "multiple_choice", "rating", "text"]
Repeat = Literal["once", "daily", "weekly", "monthly"]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
# The longest free-text answer any survey may allow.
MAX_TEXT_LIMIT = 4000


def _quoted(value: object) -> object:
    # A card number written without quotes loses its leading zeros in YAML.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write this value in quotes, e.g. '{value}': it is text, not a number")
    return value


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class SurveyChoice(_Model):
    """One answer a choice question offers."""

    code: Code
    """The choice's code, as answers name it (choiceCode)."""
    text: Text
    """The choice as guests read it."""


class SurveyQuestion(_Model):
    """One question of a survey."""

    code: Code
    """The question's code, as answers name it (questionCode)."""
    text: Text
    """The question as guests read it."""
    type: QuestionType
    """single_choice (one of choices), multiple_choice (one or more of choices), rating (a whole
    number from rating_min to rating_max) or text (free text of at most max_length characters).
    """
    required: bool = False
    """Whether a response must answer it."""
    choices: list[SurveyChoice] = Field(default_factory=list)
    """The choices of a single_choice or multiple_choice question (two or more)."""
    max_choices: int | None = Field(default=None, ge=1)
    """A multiple_choice question accepts at most this many choices (none: all of them)."""
    rating_min: int = Field(default=1, ge=0, le=10)
    """The lowest rating (rating questions)."""
    rating_max: int = Field(default=5, ge=1, le=10)
    """The highest rating (rating questions)."""
    max_length: int = Field(default=500, ge=1, le=MAX_TEXT_LIMIT)
    """The longest answer a text question accepts, in characters."""

    @model_validator(mode="after")
    def _consistent(self) -> SurveyQuestion:
        choosing = self.type in ("single_choice", "multiple_choice")
        if choosing and len(self.choices) < 2:
            raise ValueError(f"a {self.type} question needs at least two choices")
        if not choosing and self.choices:
            raise ValueError(f"a {self.type} question has no choices")
        codes = [c.code for c in self.choices]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"choice code listed twice: {', '.join(repeated)}")
        if self.max_choices is not None and self.type != "multiple_choice":
            raise ValueError("max_choices is for multiple_choice questions")
        if self.rating_min >= self.rating_max:
            raise ValueError("rating_min must be below rating_max")
        return self


class SurveyWindow(_Model):
    """When a survey may be taken, in the merchant's local time. Empty means always."""

    start_date: date | None = None
    """First day it may be taken (YYYY-MM-DD)."""
    end_date: date | None = None
    """Last day it may be taken, inclusive."""
    start_time: time | None = None
    """Each day, from this time (HH:MM)."""
    end_time: time | None = None
    """Each day, until this time (HH:MM, not included); before start_time means the window runs
    past midnight.
    """
    days_of_week: list[Weekday] = Field(default_factory=list)
    """Only on these days (MON to SUN); empty: every day."""

    @model_validator(mode="after")
    def _ordered(self) -> SurveyWindow:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("start_date is after end_date")
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both start_time and end_time, or neither")
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValueError("start_time and end_time are the same")
        return self


class SurveyAudience(_Model):
    """Which accounts may take a survey. Empty lists mean no restriction."""

    templates: list[int] = Field(default_factory=list)
    """Only accounts of these card templates."""
    cards: list[Annotated[str, BeforeValidator(_quoted), Field(min_length=1, max_length=64)]] = (
        Field(default_factory=list)
    )
    """Only the accounts of these printed card numbers (in quotes)."""
    registered_only: bool = False
    """Only accounts a guest has registered (with a user)."""


class SurveyReward(_Model):
    """What a response pays, added to the account's wallet through the ledger."""

    wallet: int = Field(gt=0)
    """The wallet the reward goes to."""
    quantity: Quantity
    """How much it adds."""
    description: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """What guests are told they got (rewardDescription); none: quantity and wallet name."""
    store: Annotated[str, BeforeValidator(_quoted), Field(min_length=1, max_length=64)] = "corp"
    """The store the reward is recorded at."""
    expires_after_days: int | None = Field(default=None, gt=0)
    """The reward expires this many days after it is paid (none: the wallet's default)."""


class SurveyConfig(_Model):
    """A survey guests may take from the app or website."""

    code: Code
    """The survey's code, as calls name it (surveyCode)."""
    name: Annotated[str, Field(min_length=1, max_length=200)]
    """The survey's title."""
    introduction: Annotated[str, Field(max_length=2000)] | None = None
    """Text shown before the questions."""
    opt_in_required: bool = False
    """Guests must opt in (survey/optIn.json) before they may fetch or answer it."""
    repeat: Repeat = "once"
    """How often an account may respond: once, or once per local day, week (Monday to Sunday) or
    calendar month.
    """
    window: SurveyWindow = Field(default_factory=SurveyWindow)
    """When it may be taken."""
    audience: SurveyAudience = Field(default_factory=SurveyAudience)
    """Who may take it."""
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=100)
    """The questions, in the order guests see them."""
    reward: SurveyReward | None = None
    """What a response pays (none: nothing)."""

    @model_validator(mode="after")
    def _unique_questions(self) -> SurveyConfig:
        codes = [q.code for q in self.questions]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"question code listed twice: {', '.join(repeated)}")
        return self

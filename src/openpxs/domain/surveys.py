"""The rules of guest surveys, without I/O: when a survey is open, which accounts it is
for, which occurrence a response belongs to, and whether a response's answers fit the
questions.

Every answer problem names the question it is about, so an app can point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from openpxs.config.surveys import SurveyConfig, SurveyQuestion, SurveyWindow
from openpxs.domain.errors import DomainError, Reason

WEEKDAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class MissingRequiredAnswer(DomainError):
    reason = Reason.MISSING_REQUIRED_ANSWER


class InvalidAnswer(DomainError):
    reason = Reason.INVALID_ANSWER


@dataclass(frozen=True)
class Answer:
    """One answer as a guest sent it (survey.yaml SurveyAnswer)."""

    question_code: str
    choice_codes: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class Audience:
    """What the audience rules need to know of an account."""

    template_code: int
    card_numbers: frozenset[str]
    registered: bool


def local_now(now: datetime, timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(timezone))


def _time_open(window: SurveyWindow, at: time) -> bool:
    start, end = window.start_time, window.end_time
    if start is None or end is None:
        return True
    if start < end:
        return start <= at < end
    # Past midnight: 22:00 to 02:00 is open from 22:00 on and before 02:00.
    return at >= start or at < end


def _business_day(window: SurveyWindow, local: datetime) -> date:
    """The day a moment belongs to: in a window running past midnight, the small hours
    belong to the day the window opened."""
    start, end = window.start_time, window.end_time
    if start is not None and end is not None and end < start and local.time() < end:
        return date.fromordinal(local.date().toordinal() - 1)
    return local.date()


def is_open(window: SurveyWindow, now: datetime, timezone: str) -> bool:
    """Whether the window admits the moment ``now``, in the merchant's zone."""
    local = local_now(now, timezone)
    if not _time_open(window, local.time()):
        return False
    day = _business_day(window, local)
    if window.start_date is not None and day < window.start_date:
        return False
    if window.end_date is not None and day > window.end_date:
        return False
    return not window.days_of_week or WEEKDAY_NAMES[day.weekday()] in window.days_of_week


def in_audience(survey: SurveyConfig, account: Audience) -> bool:
    audience = survey.audience
    if audience.templates and account.template_code not in audience.templates:
        return False
    if audience.cards and not account.card_numbers & set(audience.cards):
        return False
    return account.registered or not audience.registered_only


def occurrence_of(survey: SurveyConfig, now: datetime, timezone: str) -> str:
    """The occurrence a response at ``now`` belongs to: an account responds once per
    occurrence. ``once`` surveys have one; the others one per local day, ISO week or
    calendar month."""
    day = _business_day(survey.window, local_now(now, timezone))
    if survey.repeat == "daily":
        return day.isoformat()
    if survey.repeat == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if survey.repeat == "monthly":
        return f"{day.year}-{day.month:02d}"
    return "once"


def rating_choices(question: SurveyQuestion) -> list[str]:
    """The ratings a rating question offers, as choice codes ("1" to "5")."""
    return [str(n) for n in range(question.rating_min, question.rating_max + 1)]


def _checked(question: SurveyQuestion, answer: Answer) -> Answer | None:
    """The answer as stored, None when it answers nothing; refuses one that does not fit."""
    code = question.code
    choices = tuple(dict.fromkeys(c.strip() for c in answer.choice_codes if c.strip()))
    text = answer.text.strip() if answer.text is not None else ""
    if question.type == "text":
        if choices:
            raise InvalidAnswer(f"question {code}: a text question takes text, not choices")
        if len(text) > question.max_length:
            raise InvalidAnswer(
                f"question {code}: the answer is longer than {question.max_length} characters"
            )
        return Answer(code, (), text) if text else None
    if question.type == "rating":
        given = [*choices, *([text] if text else [])]
        if not given:
            return None
        if len(set(given)) > 1 or given[0] not in rating_choices(question):
            raise InvalidAnswer(
                f"question {code}: give one rating from {question.rating_min}"
                f" to {question.rating_max}"
            )
        return Answer(code, (given[0],), None)
    if text:
        raise InvalidAnswer(f"question {code}: answer with choiceCodes, not text")
    if not choices:
        return None
    offered = {c.code for c in question.choices}
    unknown = [c for c in choices if c not in offered]
    if unknown:
        raise InvalidAnswer(f"question {code}: no choice {unknown[0]!r}")
    if question.type == "single_choice" and len(choices) > 1:
        raise InvalidAnswer(f"question {code}: choose one answer")
    if question.max_choices is not None and len(choices) > question.max_choices:
        raise InvalidAnswer(f"question {code}: choose at most {question.max_choices} answers")
    return Answer(code, choices, None)


def checked_answers(survey: SurveyConfig, answers: Sequence[Answer]) -> list[Answer]:
    """The response's answers in question order, each checked against its question.

    Refuses an answer to a question the survey does not have, two answers to one
    question, an answer that does not fit its question (InvalidAnswer), and a required
    question left unanswered (MissingRequiredAnswer).
    """
    questions = {q.code: q for q in survey.questions}
    given: dict[str, Answer] = {}
    for answer in answers:
        code = answer.question_code.strip()
        if code not in questions:
            raise InvalidAnswer(f"question {code or '(none)'}: not a question of this survey")
        if code in given:
            raise InvalidAnswer(f"question {code}: answered twice")
        given[code] = answer
    kept: list[Answer] = []
    for question in survey.questions:
        sent = given.get(question.code)
        checked = _checked(question, sent) if sent is not None else None
        if checked is None:
            if question.required:
                raise MissingRequiredAnswer(f"question {question.code} must be answered")
            continue
        kept.append(checked)
    return kept

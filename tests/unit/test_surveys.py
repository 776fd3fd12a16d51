"""Guest surveys: the program file's survey section and the rules in domain.surveys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from openpxs.config import DEMO_CONFIG_FILES, ConfigError, load_config
from openpxs.config.surveys import SurveyConfig, SurveyWindow
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.surveys import (
    Answer,
    Audience,
    checked_answers,
    in_audience,
    is_open,
    occurrence_of,
)

ZONE = "America/New_York"
MINIMAL = """\
merchant:
  id: 7
  name: Test
  timezone: America/New_York
programs:
  - code: LP
    name: Loyalty
card_templates:
  - code: 1
    name: Loyalty
    programs: [LP]
wallets:
  - code: 2
    name: Points
    kind: points
    program: LP
stores:
  - code: "corp"
    name: Corporate
surveys:
  - code: S1
    name: A survey
    questions:
      - code: Q1
        text: Why?
        type: text
"""
# The line an extra line appended to MINIMAL is on, and the line of its one survey.
APPENDED = MINIMAL.count("\n") + 1
SURVEY_LINE = MINIMAL.splitlines().index("  - code: S1") + 1


def survey(**fields: Any) -> SurveyConfig:
    data: dict[str, Any] = {
        "code": "S",
        "name": "Survey",
        "questions": [
            {"code": "RATE", "text": "Rate us", "type": "rating", "required": True},
            {
                "code": "ONE",
                "text": "Pick one",
                "type": "single_choice",
                "choices": [{"code": "A", "text": "A"}, {"code": "B", "text": "B"}],
            },
            {
                "code": "MANY",
                "text": "Pick some",
                "type": "multiple_choice",
                "max_choices": 2,
                "choices": [{"code": c, "text": c} for c in ("X", "Y", "Z")],
            },
            {"code": "WHY", "text": "Why?", "type": "text", "max_length": 10},
        ],
        **fields,
    }
    return SurveyConfig.model_validate(data)


def local(*parts: int) -> datetime:
    """A moment given as New York wall-clock time."""
    from zoneinfo import ZoneInfo

    return datetime(*parts, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)  # type: ignore[misc]


def errors_of(tmp_path: Path, text: str) -> list[tuple[str, int | None, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [(i.field, i.line, i.reason) for i in info.value.issues]


# --- the program file -------------------------------------------------------------------


def test_the_demo_merchant_has_one_open_survey_paying_25_points() -> None:
    config = load_config(DEMO_CONFIG_FILES[0])
    [demo] = config.surveys
    assert demo.reward is not None
    assert (demo.reward.wallet, demo.reward.quantity) == (2, 25)
    assert demo.window == SurveyWindow()
    assert demo.repeat == "once"


def test_a_minimal_survey_loads(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    [only] = load_config(path).surveys
    assert only.questions[0].max_length == 500
    assert not only.questions[0].required


@pytest.mark.parametrize(
    ("extra", "field", "line", "reason"),
    [
        (
            "    reward: {wallet: 9, quantity: 5}\n",
            "surveys[0].reward.wallet",
            APPENDED,
            "wallet 9 is not declared",
        ),
        (
            "    reward: {wallet: 2, quantity: 5, store: '9'}\n",
            "surveys[0].reward.store",
            APPENDED,
            "store '9' is not declared",
        ),
        (
            "    audience: {templates: [1, 5]}\n",
            "surveys[0].audience.templates[1]",
            APPENDED,
            "card template 5 is not declared",
        ),
        (
            "    window: {start_date: 2026-12-31, end_date: 2026-01-01}\n",
            "surveys[0].window",
            APPENDED,
            "start_date is after end_date",
        ),
        (
            "    window: {start_time: '10:00'}\n",
            "surveys[0].window",
            APPENDED,
            "give both start_time and end_time, or neither",
        ),
        ("    repeat: hourly\n", "surveys[0].repeat", APPENDED, "Input should be"),
    ],
)
def test_survey_errors_name_the_field_and_line(
    tmp_path: Path, extra: str, field: str, line: int, reason: str
) -> None:
    [(got_field, got_line, got_reason)] = errors_of(tmp_path, MINIMAL + extra)
    assert (got_field, got_line) == (field, line)
    assert got_reason.startswith(reason), got_reason


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("{code: Q2, text: Pick, type: single_choice, choices: [{code: A, text: A}]}", "at least"),
        ("{code: Q2, text: Rate, type: rating, choices: [{code: A, text: A}]}", "has no choices"),
        ("{code: Q2, text: Rate, type: rating, rating_min: 5, rating_max: 5}", "rating_min"),
        ("{code: Q2, text: Say, type: text, max_length: 100000}", "less than or equal"),
        ("{code: Q1, text: Again, type: text}", None),
    ],
)
def test_bad_questions_are_refused_at_their_line(
    tmp_path: Path, question: str, reason: str | None
) -> None:
    errors = errors_of(tmp_path, MINIMAL + f"      - {question}\n")
    if reason is None:  # a repeated question code is the survey's problem
        assert errors == [("surveys[0]", SURVEY_LINE, "question code listed twice: Q1")]
        return
    [(field, line, got)] = errors
    assert field.startswith("surveys[0].questions[1]")
    assert line == APPENDED
    assert reason in got, got


def test_two_surveys_with_one_code_are_refused(tmp_path: Path) -> None:
    again = "\n".join(MINIMAL.splitlines()[-6:]) + "\n"
    errors = errors_of(tmp_path, MINIMAL + again)
    assert errors == [("surveys[1]", APPENDED, "survey code 'S1' is already used by surveys[0]")]


# --- the window -------------------------------------------------------------------------


def test_the_window_is_in_the_merchants_zone() -> None:
    window = SurveyWindow(
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        start_time=time(11),
        end_time=time(14),
    )
    assert not is_open(window, local(2026, 2, 28, 12), ZONE)
    assert is_open(window, local(2026, 3, 1, 11), ZONE)
    assert is_open(window, local(2026, 3, 31, 13, 59), ZONE)
    assert not is_open(window, local(2026, 3, 31, 14), ZONE)
    assert not is_open(window, local(2026, 4, 1, 12), ZONE)
    # 12:00 in New York is 16:00 or 17:00 UTC; a UTC reading of the window would differ.
    assert not is_open(window, datetime(2026, 3, 10, 12, tzinfo=UTC), ZONE)


def test_a_window_past_midnight_belongs_to_the_day_it_opened() -> None:
    window = SurveyWindow(
        end_date=date(2026, 3, 6), start_time=time(22), end_time=time(2), days_of_week=["FRI"]
    )
    assert is_open(window, local(2026, 3, 6, 23), ZONE)  # Friday night
    assert is_open(window, local(2026, 3, 7, 1, 30), ZONE)  # still Friday's window
    assert not is_open(window, local(2026, 3, 7, 23), ZONE)  # Saturday
    assert not is_open(window, local(2026, 3, 6, 21, 59), ZONE)
    assert not is_open(window, local(2026, 3, 13, 23), ZONE)  # after end_date


@pytest.mark.parametrize(
    ("repeat", "expected"),
    [("once", "once"), ("daily", "2026-03-04"), ("weekly", "2026-W10"), ("monthly", "2026-03")],
)
def test_occurrences(repeat: str, expected: str) -> None:
    # 23:30 in New York is already the next day in UTC.
    assert occurrence_of(survey(repeat=repeat), local(2026, 3, 4, 23, 30), ZONE) == expected


def test_the_audience() -> None:
    s = survey(audience={"templates": [1], "cards": ["7000000000000001"], "registered_only": True})
    member = Audience(1, frozenset({"7000000000000001", "7000000000000002"}), registered=True)
    assert in_audience(s, member)
    assert not in_audience(s, Audience(2, member.card_numbers, registered=True))
    assert not in_audience(s, Audience(1, frozenset({"7000000000000009"}), registered=True))
    assert not in_audience(s, Audience(1, member.card_numbers, registered=False))
    assert in_audience(survey(), Audience(3, frozenset(), registered=False))


# --- answers ----------------------------------------------------------------------------


def refusal(answers: list[Answer]) -> tuple[Reason, str]:
    with pytest.raises(DomainError) as info:
        checked_answers(survey(), answers)
    return info.value.reason, str(info.value)


def test_answers_are_kept_in_question_order_and_tidied() -> None:
    kept = checked_answers(
        survey(),
        [
            Answer("WHY", text="  tasty  "),
            Answer("MANY", ("Z", "X", "Z")),
            Answer("RATE", text="4"),
            Answer("ONE", ()),
        ],
    )
    assert kept == [
        Answer("RATE", ("4",)),
        Answer("MANY", ("Z", "X")),
        Answer("WHY", (), "tasty"),
    ]
    assert checked_answers(survey(), [Answer("RATE", ("5",))]) == [Answer("RATE", ("5",))]


@pytest.mark.parametrize(
    ("answers", "reason", "names"),
    [
        ([], Reason.MISSING_REQUIRED_ANSWER, "RATE"),
        ([Answer("RATE", text="  ")], Reason.MISSING_REQUIRED_ANSWER, "RATE"),
        ([Answer("RATE", ("6",))], Reason.INVALID_ANSWER, "RATE"),
        ([Answer("RATE", ("4",), "5")], Reason.INVALID_ANSWER, "RATE"),
        ([Answer("RATE", text="four")], Reason.INVALID_ANSWER, "RATE"),
        ([Answer("RATE", ("4",)), Answer("ONE", ("A", "B"))], Reason.INVALID_ANSWER, "ONE"),
        ([Answer("RATE", ("4",)), Answer("ONE", ("C",))], Reason.INVALID_ANSWER, "ONE"),
        ([Answer("RATE", ("4",)), Answer("ONE", text="A")], Reason.INVALID_ANSWER, "ONE"),
        ([Answer("RATE", ("4",)), Answer("MANY", ("X", "Y", "Z"))], Reason.INVALID_ANSWER, "MANY"),
        ([Answer("RATE", ("4",)), Answer("WHY", text="x" * 11)], Reason.INVALID_ANSWER, "WHY"),
        ([Answer("RATE", ("4",)), Answer("WHY", ("A",))], Reason.INVALID_ANSWER, "WHY"),
        ([Answer("RATE", ("4",)), Answer("NOPE", text="?")], Reason.INVALID_ANSWER, "NOPE"),
        ([Answer("RATE", ("4",)), Answer("RATE", ("3",))], Reason.INVALID_ANSWER, "RATE"),
    ],
)
def test_answers_that_do_not_fit_name_their_question(
    answers: list[Answer], reason: Reason, names: str
) -> None:
    got, message = refusal(answers)
    assert got == reason
    assert f"question {names}" in message

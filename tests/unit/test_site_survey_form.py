"""Reading a survey's answers from the guest website's form, and placing a refused
answer's problem at its question."""

from __future__ import annotations

from openpxs.config.surveys import SurveyConfig
from openpxs.domain.surveys import Answer, InvalidAnswer, MissingRequiredAnswer, checked_answers
from openpxs.web.surveys import answers_of, problem_at_question

SURVEY = SurveyConfig.model_validate(
    {
        "code": "S",
        "name": "Survey",
        "questions": [
            {"code": "R", "text": "Rate", "type": "rating", "required": True},
            {
                "code": "M",
                "text": "Pick",
                "type": "multiple_choice",
                "max_choices": 1,
                "choices": [{"code": "A", "text": "Ay"}, {"code": "B", "text": "Bee"}],
            },
            {"code": "T", "text": "Say", "type": "text", "max_length": 5},
        ],
    }
)


def test_each_question_type_is_read_from_its_fields() -> None:
    form = {"q.R": " 4 ", "q.M.A": "1", "q.M.B": "", "q.T": "hi", "q.M.Z": "1"}
    assert answers_of(SURVEY, form) == [
        Answer("R", ("4",)),
        Answer("M", ("A",)),
        Answer("T", (), "hi"),
    ]
    assert answers_of(SURVEY, {}) == [Answer("R", ()), Answer("M", ()), Answer("T", (), "")]


def refusal(form: dict[str, str]) -> dict[str, str]:
    try:
        checked_answers(SURVEY, answers_of(SURVEY, form))
    except (InvalidAnswer, MissingRequiredAnswer) as refused:
        return problem_at_question(refused, SURVEY.questions)
    raise AssertionError("the answers were accepted")


def test_a_problem_is_placed_at_the_question_it_names() -> None:
    assert refusal({"q.T": "ok"}) == {"R": "surveys.answer_required"}
    assert refusal({"q.R": "3", "q.M.A": "1", "q.M.B": "1"}) == {"M": "choose at most 1 answers"}
    assert refusal({"q.R": "3", "q.T": "too long"}) == {
        "T": "the answer is longer than 5 characters"
    }
    # A refusal naming no question of the survey goes to the first one.
    assert problem_at_question(InvalidAnswer("something else"), SURVEY.questions) == {
        "R": "surveys.answer_required"
    }

"""The answers of a survey as a table, for `openpxs surveys export`.

One row per response, oldest first; one column per question of the survey as the
program file now lists it, so the columns follow the questions a guest was shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.surveys import Answer
from openpxs.store.repositories.surveys import StoredResponse
from openpxs.store.uow import UnitOfWork

FIXED_COLUMNS = (
    "response_id",
    "submitted_at",
    "occurrence",
    "printed_card_number",
    "username",
    "store_code",
    "reward_transaction_id",
)
# A spreadsheet runs a cell that starts with one of these as a formula; guests write
# the free text, so such a cell is written with a leading apostrophe instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AnswerTable:
    header: list[str]
    rows: list[list[str]]


def _cell(answer: Answer | None) -> str:
    if answer is None:
        return ""
    if answer.choice_codes:
        return ";".join(answer.choice_codes)
    return answer.text or ""


def _safe(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _row(response: StoredResponse, questions: list[str]) -> list[str]:
    by_question = {a.question_code: a for a in response.answers}
    fixed = [
        str(response.id),
        response.submitted_at.isoformat(),
        response.occurrence,
        response.card_number,
        response.username or "",
        response.store_code or "",
        "" if response.transaction_id is None else str(response.transaction_id),
    ]
    return [*fixed, *(_safe(_cell(by_question.get(q))) for q in questions)]


async def answer_table(uow: UnitOfWork, merchant_id: int, survey_code: str) -> AnswerTable:
    """Every response to the merchant's survey; refuses an unknown merchant or survey."""
    program = await uow.programs.load(merchant_id)
    survey = program.surveys.get(survey_code)
    if survey is None:
        raise Refused(
            Reason.INVALID_SURVEY, f"merchant {merchant_id} has no survey {survey_code!r}"
        )
    questions = [q.code for q in survey.questions]
    responses = await uow.surveys.responses(merchant_id, survey.code)
    return AnswerTable([*FIXED_COLUMNS, *questions], [_row(r, questions) for r in responses])

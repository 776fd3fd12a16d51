"""Survey opt-ins and responses.

A response is claimed by inserting its row: the unique constraint over (merchant,
survey, account, occurrence) lets one of two concurrent submissions in and the other
insert nothing (PostgreSQL first waits for the holder's transaction, so a response it
rolls back is not lost), which the returned id tells apart without a savepoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.domain.surveys import Answer
from openpxs.store.repositories import Repository
from openpxs.store.tables import survey_opt_ins, survey_responses, users

_OPT_IN_POSTGRES = (
    postgresql.insert(survey_opt_ins)
    .on_conflict_do_nothing()
    .returning(survey_opt_ins.c.account_id)
)
_OPT_IN_SQLITE = (
    sqlite.insert(survey_opt_ins).on_conflict_do_nothing().returning(survey_opt_ins.c.account_id)
)
_CLAIM_POSTGRES = (
    postgresql.insert(survey_responses).on_conflict_do_nothing().returning(survey_responses.c.id)
)
_CLAIM_SQLITE = (
    sqlite.insert(survey_responses).on_conflict_do_nothing().returning(survey_responses.c.id)
)


@dataclass(frozen=True)
class StoredResponse:
    """A response as the export writes it."""

    id: int
    survey_code: str
    occurrence: str
    card_number: str
    username: str | None
    store_code: str | None
    answers: list[Answer]
    transaction_id: int | None
    submitted_at: datetime


def _answers_json(answers: Sequence[Answer]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in answers:
        item: dict[str, Any] = {"questionCode": a.question_code}
        if a.choice_codes:
            item["choiceCodes"] = list(a.choice_codes)
        if a.text is not None:
            item["text"] = a.text
        out.append(item)
    return out


def _answers(data: Any) -> list[Answer]:
    return [
        Answer(
            str(item["questionCode"]),
            tuple(str(c) for c in item.get("choiceCodes", ())),
            item.get("text"),
        )
        for item in data or []
    ]


class SurveyRepository(Repository):
    __slots__ = ()

    async def opt_in(self, merchant_id: int, code: str, account_id: int, now: datetime) -> bool:
        """Record the account's opt-in; False when it had opted in already."""
        statement = _OPT_IN_POSTGRES if self.postgres else _OPT_IN_SQLITE
        row = (
            await self.conn.execute(
                statement,
                {
                    "merchant_id": merchant_id,
                    "survey_code": code,
                    "account_id": account_id,
                    "opted_in_at": now,
                },
            )
        ).first()
        return row is not None

    async def opted_in(self, merchant_id: int, account_id: int) -> set[str]:
        """The codes of the surveys the account opted in to."""
        rows = await self.conn.execute(
            select(survey_opt_ins.c.survey_code).where(
                survey_opt_ins.c.merchant_id == merchant_id,
                survey_opt_ins.c.account_id == account_id,
            )
        )
        return {row.survey_code for row in rows}

    async def responded(self, merchant_id: int, account_id: int) -> set[tuple[str, str]]:
        """(survey code, occurrence) of every response of the account."""
        rows = await self.conn.execute(
            select(survey_responses.c.survey_code, survey_responses.c.occurrence).where(
                survey_responses.c.merchant_id == merchant_id,
                survey_responses.c.account_id == account_id,
            )
        )
        return {(row.survey_code, row.occurrence) for row in rows}

    async def claim_response(
        self,
        merchant_id: int,
        code: str,
        occurrence: str,
        *,
        account_id: int,
        card_number: str,
        user_id: int | None,
        store_code: str | None,
        answers: Sequence[Answer],
        now: datetime,
    ) -> int | None:
        """Store the response; None when the account has one for this occurrence."""
        statement = _CLAIM_POSTGRES if self.postgres else _CLAIM_SQLITE
        row = (
            await self.conn.execute(
                statement,
                {
                    "merchant_id": merchant_id,
                    "survey_code": code,
                    "occurrence": occurrence,
                    "account_id": account_id,
                    "card_number": card_number,
                    "user_id": user_id,
                    "store_code": store_code,
                    "answers": _answers_json(answers),
                    "submitted_at": now,
                },
            )
        ).first()
        return None if row is None else int(row.id)

    async def paid_by(self, merchant_id: int, response_id: int, transaction_id: int) -> None:
        """Link the response to the ledger transaction that paid its reward."""
        await self.conn.execute(
            update(survey_responses)
            .where(
                survey_responses.c.merchant_id == merchant_id,
                survey_responses.c.id == response_id,
            )
            .values(transaction_id=transaction_id)
        )

    async def responses(self, merchant_id: int, code: str) -> list[StoredResponse]:
        """Every response to the survey, oldest first, with the responding guest's
        username where the account is registered."""
        rows = await self.conn.execute(
            select(survey_responses, users.c.username)
            .select_from(
                survey_responses.outerjoin(
                    users,
                    (users.c.merchant_id == survey_responses.c.merchant_id)
                    & (users.c.id == survey_responses.c.user_id),
                )
            )
            .where(
                survey_responses.c.merchant_id == merchant_id,
                survey_responses.c.survey_code == code,
            )
            .order_by(survey_responses.c.id)
        )
        return [
            StoredResponse(
                id=row.id,
                survey_code=row.survey_code,
                occurrence=row.occurrence,
                card_number=row.card_number,
                username=row.username,
                store_code=row.store_code,
                answers=_answers(row.answers),
                transaction_id=row.transaction_id,
                submitted_at=row.submitted_at,
            )
            for row in rows
        ]

"""``openpxs surveys export``: a survey's responses as CSV, on the session database
(SQLite, or PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from openpxs.cli import app as cli
from tests.api.guests import POS, b2b, body_of, enroll, gpost
from tests.api.pos import LOYALTY, activate

DEMO = "VISIT_FEEDBACK"
HEADER = [
    "response_id",
    "submitted_at",
    "occurrence",
    "printed_card_number",
    "username",
    "store_code",
    "reward_transaction_id",
    "RATING",
    "MEAL",
    "COMMENTS",
]


def submit(client: TestClient, **body: Any) -> None:
    reply = body_of(
        gpost(client, "survey", "submitResponse" + body.pop("by", ""), b2b(**body), auth=POS)
    )
    assert reply["result"] == "success", reply


def export(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["surveys", "export", "--database", database_url, *args])


@pytest.fixture
def answered(client: TestClient) -> str:
    """Two responses to the demo survey: a registered guest's and a card's."""
    ada = enroll(client, "ada")["printedCardNumber"]
    submit(
        client,
        username="ada",
        surveyCode=DEMO,
        responses=[
            {"questionCode": "RATING", "choiceCodes": ["5"]},
            {"questionCode": "MEAL", "choiceCodes": ["BURGER", "DESSERT"]},
            {"questionCode": "COMMENTS", "text": 'Fries, "extra" crispy\nplease'},
        ],
    )
    activate(client, LOYALTY)
    submit(
        client,
        by="ByPrintedCardNumber",
        printedCardNumber=LOYALTY,
        surveyCode=DEMO,
        storeCode="1001",
        responses=[
            {"questionCode": "RATING", "text": "2"},
            {"questionCode": "COMMENTS", "text": '=HYPERLINK("http://x")'},
        ],
    )
    number: str = ada
    return number


def test_the_answers_go_to_standard_output(
    answered: str, database_url: str, client: TestClient
) -> None:
    result = export(database_url, "--merchant", "1000", "--survey", DEMO)
    assert result.exit_code == 0, result.output
    header, first, second = list(csv.reader(io.StringIO(result.stdout)))
    assert header == HEADER
    assert first[2:] == [
        "once",
        answered,
        "ada",
        "",
        first[6],
        "5",
        "BURGER;DESSERT",
        'Fries, "extra" crispy\nplease',
    ]
    assert first[6].isdigit()  # the ledger transaction that paid the reward
    assert second[2:] == [
        "once",
        LOYALTY,
        "",
        "1001",
        second[6],
        "2",
        "",
        '\'=HYPERLINK("http://x")',
    ]
    assert int(first[0]) < int(second[0])


def test_the_answers_go_to_a_file(
    answered: str, database_url: str, tmp_path: Path, client: TestClient
) -> None:
    out = tmp_path / "answers.csv"
    result = export(database_url, "--merchant", "1000", "--survey", DEMO, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote 2 responses" in result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == HEADER
    assert len(rows) == 3


def test_a_survey_nobody_answered_is_just_the_header(database_url: str, client: TestClient) -> None:
    result = export(database_url, "--merchant", "1000", "--survey", DEMO)
    assert result.exit_code == 0, result.output
    assert result.stdout == ",".join(HEADER) + "\n"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--merchant", "1000", "--survey", "NOPE"], 3, "no survey 'NOPE'"),
        (["--merchant", "4242", "--survey", DEMO], 3, "merchant 4242 is not configured"),
        (["--survey", DEMO], 2, "--merchant"),
        (["--merchant", "1000"], 2, "--survey"),
    ],
)
def test_what_cannot_be_exported(
    database_url: str, client: TestClient, args: list[str], code: int, says: str
) -> None:
    result = export(database_url, *args)
    assert result.exit_code == code, result.output
    assert says in result.output


def test_an_unwritable_output_is_a_usage_error(
    answered: str, database_url: str, tmp_path: Path, client: TestClient
) -> None:
    result = export(database_url, "--merchant", "1000", "--survey", DEMO, "--output", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output

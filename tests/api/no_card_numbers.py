"""Proof that card numbers never reach the server: after a flow, no table row and no log
line holds any of the numbers the guest's browser gave the processor."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import metadata
from tests.api.pos import run_db


def database_text(client: TestClient) -> str:
    async def work(conn: Any) -> str:
        rows: list[str] = []
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                rows.append(repr(tuple(row)))
        return "\n".join(rows)

    return str(run_db(client, work))


def assert_no_card_numbers(client: TestClient, numbers: list[str], logs: str) -> None:
    stored = database_text(client)
    assert stored, "the database dump is empty: the check would prove nothing"
    for number in numbers:
        assert number not in stored, f"a card number is stored: ...{number[-4:]}"
        assert number not in logs, f"a card number is logged: ...{number[-4:]}"

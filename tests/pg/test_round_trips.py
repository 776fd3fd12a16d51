"""Round trips per POS call on PostgreSQL: counted, not timed.

Each is a message the server waits for, so on a loaded server the count is what
decides how many calls the database can serve; a change that adds one to the hot path
shows here whatever the machine's speed.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench.roundtrips import counting
from fastapi.testclient import TestClient

from tests.api.pos import GIFT, add_redeem_body, call, ok, sell_body, sv

pytestmark = pytest.mark.postgresql


def counted(client: TestClient, operation: str, body: dict[str, Any]) -> tuple[int, list[str]]:
    app: Any = client.app
    with counting(app.state.runtime.engine) as counter:
        ok(call(client, operation, body))
    return counter.total, counter.texts


def test_add_redeem_takes_five_round_trips(client: TestClient) -> None:
    ok(call(client, "activateAdd", sell_body(GIFT, "50.00")))
    for n in range(3):  # the first calls prepare statements and load the program
        ok(call(client, "addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"w{n}")))
    body = add_redeem_body(GIFT, add=sv("2.00"), redeem=sv("1.00"), pos_id="counted")
    total, statements = counted(client, "addRedeem", body)
    # BEGIN; claim the retry key and lock card and account; read the book; write the
    # transaction, lots, journal, balances and the reply; COMMIT.
    assert len(statements) == 3, statements
    assert total == 5

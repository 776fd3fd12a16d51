"""The console's guest search stays fast at millions of accounts: every statement it
runs can be answered from an index, for each kind of search. PostgreSQL's planner is
asked with sequential scans priced out, so a statement no index serves still shows a
"Seq Scan" in its plan, and one read by its merchant alone (walking every guest of the
merchant) a condition on the merchant only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from openpxs.store.db import create_engine
from openpxs.store.repositories.console import ConsoleRepository

pytestmark = pytest.mark.postgresql

MANY_GUESTS = (
    "INSERT INTO accounts (merchant_id, template_code, status, created_at)"
    " SELECT 1000, 1, 'active', now() FROM generate_series(1, 5000)",
    "INSERT INTO users (merchant_id, account_id, first_name, last_name, email, phone,"
    " mobile_phone) SELECT 1000, g, 'first' || g, 'last' || g, 'guest' || g || '@example.com',"
    " (5550000000 + g)::text, (6660000000 + g)::text FROM generate_series(1, 5000) g",
    "INSERT INTO cards (merchant_id, printed_card_number, template_code, status)"
    " SELECT 1000, (8100000000000000 + g)::text, 1, 'inactive' FROM generate_series(1, 5000) g",
    "ANALYZE accounts, users, cards",
)


@pytest.mark.parametrize(
    "query",
    ["7000000000000001", "42", "demo@example.com", "(617) 555-0123", "Guest", "Demo Guest"],
)
def test_every_search_statement_uses_an_index(
    client: TestClient, database_url: str, query: str
) -> None:
    async def plans() -> list[str]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                # Guests enough for the planner to choose as it would at scale; rolled
                # back when the connection closes without a commit.
                for statement in MANY_GUESTS:
                    await conn.exec_driver_sql(statement)
                await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                seen: list[tuple[str, Any]] = []

                def capture(*args: Any) -> None:
                    seen.append((args[2], args[3]))

                event.listen(conn.sync_connection, "before_cursor_execute", capture)
                await ConsoleRepository(conn).find_guests(1000, query, 50)
                event.remove(conn.sync_connection, "before_cursor_execute", capture)
                found = []
                for statement, parameters in seen:
                    rows = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
                    found.append("\n".join(r[0] for r in rows))
                return found
        finally:
            await engine.dispose()

    assert client.portal is not None
    found = client.portal.call(plans)
    assert found, "the search ran no statement"
    for plan in found:
        assert "Seq Scan" not in plan, plan
        # An index read by its merchant alone would walk every guest of the merchant.
        for condition in re.findall(r"Index Cond: (.*)", plan):
            assert not re.fullmatch(r"\(merchant_id = [^()]*\)", condition.strip()), plan

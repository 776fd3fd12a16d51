"""What the busiest calls (a POS's, a guest app's) cost SQLite does not grow with the
merchant's guests.

SQLite plans by rules rather than by the tables' sizes, so the plan of a statement in
a test database is its plan at a brand's size: each statement the busiest calls send
is asked for its query plan, and none may read a guest's table whole, walk one of
its indexes whole, or find its rows by the merchant alone (or the merchant and a
range of time). (PostgreSQL plans by cost:
tests/pg/test_busy_call_plans.py.)
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.api.busy_calls import CALL_SETS, CONFIGURATION

pytestmark = pytest.mark.sqlite

# "SCAN t", "SCAN t USING INDEX i", "SEARCH t USING INDEX i (merchant_id=?)"; a table
# read under an alias is named by its alias.
SCAN = re.compile(r"^SCAN (\w+)")
# By the merchant and at most a range besides (a time since): every row of the merchant
# in that range, whoever's it is.
BY_MERCHANT_ONLY = re.compile(r"^SEARCH (\w+) USING .*\(merchant_id=\?(?: AND \w+[<>]=?\?)*\)$")
ALIASED = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+)", re.IGNORECASE)
NOT_ALIASES = frozenset({"WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "ORDER", "GROUP"})


def read_tables(statement: str, tables: set[str]) -> dict[str, str]:
    """What each name in the statement's plan stands for: a table by its own name or by
    its alias."""
    named = {table: table for table in tables}
    for table, alias in ALIASED.findall(statement):
        if table in tables and alias.upper() not in NOT_ALIASES:
            named[alias] = table
    return named


# SQLite keeps no statistics here, and without them it prefers an index that covers a
# query's columns to one that matches more of its conditions: accountQuery's search by
# the digits of a phone number reads the merchant's phone numbers from their covering
# index rather than use the index of their digits. PostgreSQL's test covers that set.
ON_SQLITE = sorted(set(CALL_SETS) - {"cashier-lookup"})


@pytest.mark.parametrize("calls", ON_SQLITE)
def test_no_statement_reads_a_guest_table_by_the_merchant_alone(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, calls: str
) -> None:
    sent = CALL_SETS[calls](client, monkeypatch)
    db = sqlite3.connect(str(make_url(database_url).database))
    try:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        guest_tables = tables - CONFIGURATION
        explained = 0
        problems = []
        for statement, parameters in sent:
            if statement.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                continue
            plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            explained += 1
            named = read_tables(statement, tables)
            for step in plan:
                found = SCAN.match(step) or BY_MERCHANT_ONLY.match(step)
                if found and named.get(found.group(1)) in guest_tables:
                    problems.append(f"{statement}\n{parameters}\n" + "\n".join(plan))
    finally:
        db.close()
    assert explained, "the calls sent no statement"
    assert not problems, "\n\n".join(problems[:5])

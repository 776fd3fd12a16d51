"""What the busiest calls (a POS's, a guest app's) cost PostgreSQL does not grow with
the merchant's guests.

A statement that reads a guest's rows by a condition on the merchant alone, by an
index whose leading columns it does not fix, or by no index at all, costs more with
every guest the merchant enrolls: invisible in a test database, a read of a whole
table (or of the merchant's part of an index) per call at a brand's size. Each
statement the calls send is explained as PostgreSQL would run it with its parameters,
sequential scans priced out, once with a few thousand other guests in the tables and
once with four times as many: its estimated cost must stay nearly the same.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from openpxs.store.db import create_engine
from tests.api.busy_calls import CALL_SETS, CONFIGURATION

pytestmark = pytest.mark.postgresql

# Other guests, each with a card, a lot, a balance, a sale and its journal row and
# retry key, a user with a unique username, a failed sign-in and a token, a check, a
# coupon use, a challenge entry, progress and completion: enough for the planner to
# choose as it would at a brand's size. Added in two steps (the guests from..to of
# each), and rolled back when the explaining connection closes.
STEPS = ((1, 2000), (2001, 8000))
# How much a statement's estimated cost may grow from the first step to the second
# (four times the guests): a btree's descent grows with the log of its size, a read of
# the merchant's rows with their number.
GROWTH = 1.5
GUEST_TABLES = (
    "accounts, users, cards, transactions, lots, wallet_balances, journal, idempotency_keys,"
    " challenge_entries, challenge_progress, challenge_completions, checks,"
    " user_unique_values, sign_in_failures, oauth_tokens, coupon_uses"
)
MANY_GUESTS = (
    "INSERT INTO accounts (merchant_id, id, template_code, status, created_at, user_id)"
    " SELECT 1000, 10000000 + g, 1, 'active', now(), 10000000 + g"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO users (merchant_id, id, account_id, email, phone, mobile_phone)"
    " SELECT 1000, 10000000 + g, 10000000 + g, 'guest' || g || '@example.com',"
    " '(212) ' || (5000000 + g), '646-' || (5000000 + g) FROM generate_series({lo}, {hi}) g",
    "INSERT INTO cards (merchant_id, id, printed_card_number, template_code, status, account_id)"
    " SELECT 1000, 10000000 + g, (8100000000000000 + g)::text, 1, 'active', 10000000 + g"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO transactions (merchant_id, id, kind, account_id, card_number, store_code,"
    " pos_transaction_id, created_at) SELECT 1000, 10000000 + g, 'activateAdd', 10000000 + g,"
    " (8100000000000000 + g)::text, '1001', 'sale-' || g, now() FROM generate_series({lo}, {hi}) g",
    "INSERT INTO lots (merchant_id, id, account_id, wallet_code, remaining_units,"
    " transaction_id) SELECT 1000, 10000000 + g, 10000000 + g, 1, 100, 10000000 + g"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO wallet_balances (merchant_id, account_id, wallet_code, units)"
    " SELECT 1000, 10000000 + g, 1, 100 FROM generate_series({lo}, {hi}) g",
    "INSERT INTO journal (merchant_id, transaction_id, account_id, wallet_code, lot_id, units,"
    " balance_after_units, created_at) SELECT 1000, 10000000 + g, 10000000 + g, 1,"
    " 10000000 + g, 100, 100, now() FROM generate_series({lo}, {hi}) g",
    "INSERT INTO idempotency_keys (merchant_id, scope, request_hash, created_at,"
    " transaction_id) SELECT 1000, 'pos:many:' || g, 'h', now(), 10000000 + g"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO challenge_entries (merchant_id, challenge_code, account_id, opted_in,"
    " changed_at) SELECT 1000, 'C' || (g % 5), 10000000 + g, true, now()"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO challenge_progress (merchant_id, challenge_code, occurrence, account_id,"
    " store_code, units, recorded_at) SELECT 1000, 'C' || (g % 5), '20261201',"
    " 10000000 + g, '1001', 1, now() FROM generate_series({lo}, {hi}) g",
    "INSERT INTO checks (merchant_id, id, store_code, agent_name, check_number,"
    " business_date, body, posted_at, account_id) SELECT 1000, 10000000 + g, '1001', 'TestPOS',"
    " 'many-' || g, '2026-11-26', '{{}}', now(), 10000000 + g FROM generate_series({lo}, {hi}) g",
    "INSERT INTO challenge_completions (merchant_id, challenge_code, occurrence, account_id,"
    " completed_at) SELECT 1000, 'C' || (g % 5), '20261201', 10000000 + g, now()"
    " FROM generate_series({lo}, {hi}) g",
    "INSERT INTO user_unique_values (merchant_id, field, value_key, user_id)"
    " SELECT 1000, 'username', 'guest' || g, 10000000 + g FROM generate_series({lo}, {hi}) g",
    "INSERT INTO sign_in_failures (merchant_id, subject, failures, window_started_at)"
    " SELECT 1000, 'user:guest' || g, 1, now() FROM generate_series({lo}, {hi}) g",
    "INSERT INTO oauth_tokens (merchant_id, token_hash, kind, family, user_id, integration_id,"
    " scope, issued_at, expires_at) SELECT 1000, md5(g::text), 'access', md5(g::text),"
    " 10000000 + g, 1, 'user_read', now(), now() FROM generate_series({lo}, {hi}) g",
    "INSERT INTO coupon_uses (merchant_id, id, coupon_id, store_code, created_at, account_id,"
    " coupon_slot, account_slot) SELECT 1000, 10000000 + g, 1, '1001', now(), 10000000 + g,"
    " g, 1 FROM generate_series({lo}, {hi}) g",
    f"ANALYZE {GUEST_TABLES}",
)


# A plan's estimated total cost, from its top line.
COST = re.compile(r"cost=[0-9.]+\.\.([0-9.]+)")
SCAN = re.compile(r"(Seq Scan|Index Scan|Index Only Scan)(?: Backward)?(?: using \w+)? on (\w+)")
STATEMENTS = ("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")


def unbounded(plan: str) -> list[str]:
    """The plan's reads of a guest's table by no index, by an index walked whole, or by
    the merchant alone."""
    found = []
    lines = plan.splitlines()
    for n, line in enumerate(lines):
        scan = SCAN.search(line)
        if not scan or scan.group(2) in CONFIGURATION:
            continue
        if scan.group(1) == "Seq Scan":
            found.append(line.strip())
            continue
        # The scan's own details are the lines under it, up to the next node.
        details = []
        for detail in lines[n + 1 :]:
            if "->" in detail or not detail.strip():
                break
            details.append(detail.strip())
        conditions = [d for d in details if d.startswith("Index Cond:")]
        if not conditions:
            found.append(f"{line.strip()} (no index condition)")
        elif re.fullmatch(r"Index Cond: \(merchant_id = [^()]*\)", conditions[0]):
            found.append(f"{line.strip()} ({conditions[0]})")
    return found


@pytest.mark.parametrize("calls", sorted(CALL_SETS))
def test_no_statement_costs_more_with_more_guests(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, calls: str
) -> None:
    sent = [
        (statement, parameters)
        for statement, parameters in CALL_SETS[calls](client, monkeypatch)
        if statement.split(None, 1)[0].upper() in STATEMENTS
    ]
    assert sent, "the calls sent no statement"

    async def plans() -> list[list[str]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                # Emptied first (the calls' own rows are not needed to explain them), so
                # the tables' sizes are the test's whatever earlier tests left behind.
                await conn.exec_driver_sql(f"TRUNCATE {GUEST_TABLES} CASCADE")
                steps = []
                for lo, hi in STEPS:
                    for statement in MANY_GUESTS:
                        await conn.exec_driver_sql(statement.format(lo=lo, hi=hi))
                    explained = []
                    for statement, parameters in sent:
                        rows = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
                        explained.append("\n".join(r[0] for r in rows))
                    steps.append(explained)
                await conn.rollback()
                return steps
        finally:
            await engine.dispose()

    assert client.portal is not None
    fewer, more = client.portal.call(plans)
    problems = []
    for (statement, _), small, large in zip(sent, fewer, more, strict=True):
        first, second = (float(m.group(1)) for m in (COST.search(small), COST.search(large)) if m)
        grew = second > first * GROWTH
        lines = unbounded(large)
        if grew or lines:
            problems.append(f"{statement}\ncost {first} -> {second}; {lines}\n{large}")
    assert not problems, "\n\n".join(problems[:5])

"""Helpers for the guest self-service tests: whole-state snapshots and the ledger audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.audit import audit
from openpxs.store.tables import (
    accounts,
    cards,
    journal,
    lots,
    pending_event_rewards,
    referral_codes,
    referrals,
    survey_opt_ins,
    survey_responses,
    transaction_cards,
    transactions,
    users,
    visit_codes,
    wallet_balances,
)
from tests.api.guests import sign_in
from tests.api.pos import run_db

# Every table a guest self-service call may write.
WATCHED = (
    accounts,
    cards,
    journal,
    lots,
    pending_event_rewards,
    referral_codes,
    referrals,
    survey_opt_ins,
    survey_responses,
    transaction_cards,
    transactions,
    users,
    visit_codes,
    wallet_balances,
)


async def _dump(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in WATCHED:
        rows = await conn.execute(select(table))
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@contextmanager
def nothing_changes(client: TestClient) -> Iterator[None]:
    """A refused call must leave every row it could have written as it was."""
    before = run_db(client, _dump)
    yield
    assert run_db(client, _dump) == before


def audit_clean(client: TestClient) -> None:
    async def work(conn: Any) -> list[Any]:
        _, problems = await audit(conn)
        return problems

    assert run_db(client, work) == []


def token_of(client: TestClient, username: str) -> str:
    token: str = sign_in(client, username)["access_token"]
    return token

"""SQLite: concurrent POS calls write into one transaction and share its COMMIT
(store/turns.py), and none is answered before the COMMIT holding its write returns.

The calls are made at once through the app, as concurrent POS terminals would; what was
kept is read back from a connection of the test's own, which sees committed writes
only."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from openpxs.app import create_app
from openpxs.settings import Settings
from openpxs.store import direct_sqlite
from tests.api.pos import GIFT, POS, add_redeem_body, balance, call, ok, sqlite_demo, sv, wallets

pytestmark = pytest.mark.sqlite

CALLS = 24


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("groups") / "groups.db"


@pytest.fixture(scope="module")
def client(database: Path) -> Iterator[TestClient]:
    with sqlite_demo(database, "500.00") as client:
        yield client


def committed(database: Path, sql: str, *args: Any) -> Any:
    """One value read on a connection of the test's own: committed writes only."""
    with sqlite3.connect(database) as own:
        return own.execute(sql, args).fetchone()[0]


def written(database: Path, pos_id: str) -> int:
    return int(
        committed(
            database, "SELECT count(*) FROM transactions WHERE pos_transaction_id = ?", pos_id
        )
    )


def at_once(
    client: TestClient, bodies: list[dict[str, Any]], database: Path, balance_of: int | None = None
) -> list[tuple[int, dict[str, Any], int, int | None]]:
    """Every body sent as addRedeem at the same time: each reply's status, body, how
    many transactions of its posTransactionId were committed when it arrived, and then
    the committed stored value (in cents) of account ``balance_of``."""

    async def send(
        pos: httpx.AsyncClient, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], int, int | None]:
        reply = await pos.post("/rest/24.11/transaction/addRedeem.json", json=body, auth=POS)
        data = reply.json() if reply.headers["content-type"].startswith("application/json") else {}
        kept = written(database, body["headerInfo"]["posTransactionId"])
        units = None
        if balance_of is not None:
            units = committed(
                database,
                "SELECT units FROM wallet_balances WHERE account_id = ? AND wallet_code = 1",
                balance_of,
            )
        return reply.status_code, data, kept, units

    async def all_of_them() -> list[tuple[int, dict[str, Any], int, int | None]]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as pos:
            return list(await asyncio.gather(*(send(pos, body) for body in bodies)))

    assert client.portal is not None
    return client.portal.call(all_of_them)


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The COMMIT batches run while the test runs."""
    seen: list[list[str]] = []
    monkeypatch.setattr(
        direct_sqlite,
        "LISTENERS",
        [lambda labels: seen.append(labels) if labels == ["COMMIT"] else None],
    )
    return seen


def stored_value(client: TestClient) -> Decimal:
    return Decimal(wallets(ok(balance(client)))[1])


def test_calls_at_once_share_commits_and_each_is_answered_once_committed(
    client: TestClient, database: Path, commits: list[list[str]]
) -> None:
    before = stored_value(client)
    bodies = [
        add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"together-{n}") for n in range(CALLS)
    ]

    replies = at_once(client, bodies, database)

    for status, reply, kept, _ in replies:
        assert status == 200, reply
        ok(reply)
        assert kept == 1, "answered before its write was committed"
    # One COMMIT per group, not per call: the calls queued behind the first joined it.
    assert 1 <= len(commits) < CALLS / 2, commits
    # The connections the calls passed on to each other, and the group's, are back.
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert engine.pool.checkedout() == 0
    assert stored_value(client) == before - CALLS
    assert (
        committed(
            database,
            "SELECT count(*) FROM journal j JOIN transactions t ON t.id = j.transaction_id"
            " WHERE t.pos_transaction_id LIKE 'together-%'",
        )
        == CALLS
    )


def test_a_refused_call_rolls_back_its_own_part_only(
    client: TestClient, database: Path, commits: list[list[str]]
) -> None:
    before = stored_value(client)
    bodies = [
        add_redeem_body(GIFT, redeem=sv("100000.00" if n % 3 == 0 else "1.00"), pos_id=f"mixed-{n}")
        for n in range(12)
    ]

    replies = at_once(client, bodies, database)

    taken = 0
    for n, (status, reply, kept, _) in enumerate(replies):
        assert status == 200, reply
        if n % 3 == 0:
            assert reply["result"] != "authorizedSuccess", reply
            assert kept == 0
            assert (
                committed(
                    database,
                    "SELECT count(*) FROM idempotency_keys WHERE scope LIKE ?",
                    f"%mixed-{n}",
                )
                == 0
            )
        else:
            ok(reply)
            assert kept == 1
            taken += 1
    assert taken == 8
    assert stored_value(client) == before - taken


def test_a_failed_commit_fails_every_call_of_its_group_and_keeps_none_of_them(
    client: TestClient, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_value(client)
    failures: list[int] = []
    commit = direct_sqlite.commit

    def fails_once(db: sqlite3.Connection) -> None:
        if not failures:
            failures.append(1)
            db.rollback()  # as SQLite does when the disk refuses the commit
            raise sqlite3.OperationalError("disk I/O error")
        commit(db)

    monkeypatch.setattr(direct_sqlite, "commit", fails_once)
    bodies = [add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"unlucky-{n}") for n in range(8)]

    replies = at_once(client, bodies, database)

    failed = [n for n, (status, _, _, _) in enumerate(replies) if status != 200]
    assert failed, "no call was in the group whose commit failed"
    for n, (status, reply, kept, _) in enumerate(replies):
        if n in failed:
            assert status == 503, reply
            assert kept == 0
        else:
            ok(reply)
            assert kept == 1
    assert stored_value(client) == before - (len(bodies) - len(failed))
    # Nothing of a failed call was kept, its retry keys included: the POS's retry runs.
    monkeypatch.setattr(direct_sqlite, "commit", commit)
    for n in failed:
        ok(call(client, "addRedeem", bodies[n]))
        assert written(database, f"unlucky-{n}") == 1
    assert stored_value(client) == before - len(bodies)


def test_a_refusal_that_rests_on_another_calls_write_waits_for_its_commit(
    client: TestClient, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls at once each redeem more than half the card's balance: the first takes it
    and the others, reading its write in the open group, are refused. When that group's
    commit fails, the first call's redemption is gone, so the refusals must not stand:
    they fail as it does (503), and none is answered while the balance is still there.
    (What stays is above the demo's highest automatic-recharge threshold, so the calls
    stay on the batches' path.)"""
    ok(call(client, "addRedeem", add_redeem_body(GIFT, add=sv("500.00"), pos_id="before-all")))
    whole = stored_value(client)
    most = whole - Decimal("150.00")
    account = committed(
        database, "SELECT account_id FROM cards WHERE printed_card_number = ?", GIFT
    )
    failures: list[int] = []
    commit = direct_sqlite.commit

    def fails_once(db: sqlite3.Connection) -> None:
        if not failures:
            failures.append(1)
            db.rollback()
            raise sqlite3.OperationalError("disk I/O error")
        commit(db)

    monkeypatch.setattr(direct_sqlite, "commit", fails_once)
    bodies = [
        add_redeem_body(GIFT, redeem=sv(str(most)), pos_id=f"most-of-it-{n}") for n in range(6)
    ]
    replies = at_once(client, bodies, database, balance_of=account)

    assert failures, f"no commit failed: {replies}"
    for status, reply, _, units in replies:
        if status == 200 and reply.get("result") != "authorizedSuccess":
            # A refusal stands only on a redemption that was kept.
            assert units is not None and Decimal(units) / 100 < whole, (reply, units)
    taken = sum(1 for status, reply, _, _ in replies if status == 200 and ok_result(reply))
    assert taken <= 1
    assert any(status == 503 for status, _, _, _ in replies)
    assert stored_value(client) == whole - taken * most


def ok_result(reply: dict[str, Any]) -> bool:
    return bool(reply.get("result") == "authorizedSuccess")


def test_with_several_workers_each_call_commits_on_its_own(
    client: TestClient, database: Path, commits: list[list[str]]
) -> None:
    """Several processes on one file: a process's groups would hold the write lock from
    one to the next while the others poll for it, so each call commits alone."""
    settings = Settings(
        database_url=f"sqlite:///{database}", log_level="WARNING", outbox_worker=False, workers=2
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as worker:
        bodies = [add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"alone-{n}") for n in range(8)]
        replies = at_once(worker, bodies, database)
    for status, reply, kept, _ in replies:
        assert status == 200, reply
        ok(reply)
        assert kept == 1
    assert len(commits) == len(bodies)

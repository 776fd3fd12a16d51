"""Shared fixtures: one database per test session, reset between tests.

Set OPENPXS_TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL;
otherwise it runs on a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, literal, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs import security
from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.domain.cards import CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.intents import Intent
from openpxs.services import after_refusal
from openpxs.settings import Settings
from openpxs.store.config_apply import CONFIGURATION_TABLES
from openpxs.store.db import create_engine
from openpxs.store.tables import cards, metadata, operators
from openpxs.store.uow import UnitOfWork
from openpxs.wire.registry import UNDECLARED

# argon2 at the production cost (64 MiB, three passes, four lanes) takes tens of
# milliseconds of CPU on an idle core and over half a second on a loaded two-core
# machine, for every guest password hashed or checked and every integration secret a
# program apply verifies: it was a large part of the suite's time. The tests prove what
# is hashed and checked, not how hard the hash is, so this test process hashes with
# argon2id at its smallest cost; the servers the end-to-end tests start (other
# processes) keep the production cost.
security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# Local stand-ins for processors, started only by the tests that ask for them.
pytest_plugins = [
    "tests.fakes.apple_id",
    "tests.fakes.apple_pay",
    "tests.fakes.localstripe",
    "tests.fakes.spreedly",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: needs PostgreSQL (row-lock races); runs in the PostgreSQL pass"
    )
    config.addinivalue_line(
        "markers",
        "sqlite: about SQLite itself (its query plans); runs in the SQLite pass, as its"
        " PostgreSQL counterpart marked postgresql runs in the other",
    )
    config.addinivalue_line(
        "markers",
        "uses_test_database: reads OPENPXS_TEST_DATABASE_URL itself rather than through"
        " the database_url fixture, so it is not db_independent",
    )
    config.addinivalue_line(
        "markers",
        "db_independent: set at collection on every test that does not use the pass's"
        " database (no database_url among its fixtures, no postgresql or"
        " uses_test_database mark); it does the same in both passes, so CI's PostgreSQL"
        " pass leaves it to the SQLite pass (-m 'not db_independent')",
    )


def uses_test_database(item: pytest.Item) -> bool:
    """Whether the test's outcome can depend on which database the pass runs on: it
    asks for the pass's database (directly or through any fixture: the client, the
    demo database...), or is marked as needing PostgreSQL or reading its URL itself."""
    fixtures = getattr(item, "fixturenames", ())
    return (
        "database_url" in fixtures
        or item.get_closest_marker("postgresql") is not None
        or item.get_closest_marker("sqlite") is not None
        or item.get_closest_marker("uses_test_database") is not None
    )


@pytest.hookimpl(tryfirst=True)  # before -m selects on the mark set here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the database-independent tests; the tests of one database only are left
    out of the other's pass (CI runs both passes)."""
    for item in items:
        if not uses_test_database(item):
            item.add_marker(pytest.mark.db_independent)
    other = "sqlite" if database_kind() == "postgresql" else "postgresql"
    keep = [item for item in items if item.get_closest_marker(other) is None]
    dropped = [item for item in items if item.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_header() -> str:
    return f"database: {database_kind()}"


def database_kind() -> str:
    url = os.environ.get("OPENPXS_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgres") else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("OPENPXS_TEST_DATABASE_URL")
    if url:
        return url
    path: Path = tmp_path_factory.mktemp("db") / "openpxs-test.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def demo_database(database_url: str) -> str:
    asyncio.run(install_demo(database_url))
    return database_url


@pytest.fixture(scope="session")
def session_client(demo_database: str, installed: DemoState) -> Iterator[TestClient]:
    clock = ShiftedClock()
    app = create_app(Settings(database_url=demo_database, log_level="WARNING"), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.demo_state = installed
        yield client
        # Leave the demo installation behind, so a later run on the same PostgreSQL
        # database installs the demo guest again instead of finding its card in use.
        reset(client)


@dataclass(frozen=True)
class DemoState:
    """What the demo installation left, so each test can start from exactly it."""

    last_printed_card: int  # cards above this id were made by tests (virtual cards)
    last_operator: int = 0  # operators above this id were added by tests


async def demo_state(database_url: str) -> DemoState:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            last = (await conn.execute(select(func.max(cards.c.id)))).scalar()
            operator = (await conn.execute(select(func.max(operators.c.id)))).scalar()
    finally:
        await engine.dispose()
    return DemoState(last_printed_card=int(last or 0), last_operator=int(operator or 0))


@pytest.fixture(scope="session")
def installed(demo_database: str) -> DemoState:
    """The demo installation's marks, read before any test has run."""
    return asyncio.run(demo_state(demo_database))


async def reset_database(engine: AsyncEngine, state: DemoState) -> None:
    """Back to the demo installation: every row written by calls goes, whatever table
    it is in (a new table needs no mention here), and the printed cards are inactive
    again. The program configuration stays: tests that change it restore it."""
    async with engine.begin() as conn:
        # One query finds the tables a test wrote to (a handful of the sixty): a DELETE
        # per table for every test cost more than the average test.
        holding = set((await conn.execute(TABLES_WITH_ROWS)).scalars())
        for table in EMPTIED_TABLES:
            if table.name in holding:
                await conn.execute(delete(table))
        await conn.execute(delete(cards).where(cards.c.id > state.last_printed_card))
        await conn.execute(delete(operators).where(operators.c.id > state.last_operator))
        await conn.execute(update(operators).values(enabled=True))
        # Only the cards a test used: rewriting all 2,100 demo cards every test was the
        # slowest statement of the reset on PostgreSQL.
        await conn.execute(
            update(cards)
            .where(
                or_(
                    cards.c.status != CardStatus.INACTIVE.value,
                    cards.c.account_id.is_not(None),
                    cards.c.activated_at.is_not(None),
                )
            )
            .values(status=CardStatus.INACTIVE.value, account_id=None, activated_at=None)
        )


# Every table the reset empties, children before parents; the cards, the demo's
# operators and the program configuration are kept.
KEPT_TABLES = {table.name for table in CONFIGURATION_TABLES} | {cards.name, operators.name}
EMPTIED_TABLES = [
    table for table in reversed(metadata.sorted_tables) if table.name not in KEPT_TABLES
]
TABLES_WITH_ROWS = union_all(
    *(
        select(literal(table.name).label("name")).where(select(1).select_from(table).exists())
        for table in EMPTIED_TABLES
    )
)


def reset(client: TestClient) -> None:
    """Back to the demo installation, from inside a test (hypothesis examples).

    The server's outbox worker is stopped while the tables are emptied: a delivery pass
    still in flight from the test before would otherwise mark as sent the row that
    reuses its message's id (SQLite numbers rows again from one once a table is empty),
    and the new message would be taken for sent, its body gone, without being sent."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    installed: DemoState = client.app.state.demo_state  # type: ignore[attr-defined]
    worker = client.app.state.outbox_worker  # type: ignore[attr-defined]
    running = worker is not None and worker.running
    assert client.portal is not None
    if running:
        client.portal.call(worker.stop)
    try:
        client.portal.call(reset_database, runtime.engine, installed)
    finally:
        if running:
            client.portal.call(worker.start)


@pytest.fixture(autouse=True)
def refusals_are_declared() -> Iterator[None]:
    """Every refusal an operation answered is one its endpoint declares (``errors=``), so
    the error codes the API reference lists for it are the ones it can answer."""
    before = set(UNDECLARED)
    yield
    undeclared = sorted(UNDECLARED - before)
    assert not undeclared, f"refusals the operations do not declare: {undeclared}"


@pytest.fixture
def client(session_client: TestClient) -> TestClient:
    runtime = session_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.clock.offset = ShiftedClock().offset
    reset(session_client)
    return session_client


@pytest.fixture
def clock(client: TestClient) -> ShiftedClock:
    clock: ShiftedClock = client.app.state.runtime.clock  # type: ignore[attr-defined]
    return clock


@pytest.fixture
def refusal_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each refused call of the test asked its reply to wait (a refused
    sign-in answers later the more failures came before it), recorded instead of
    waited: twenty wrong guesses would otherwise sleep ten seconds. A test asking for
    this asserts the waits."""
    waits: list[float] = []
    carry_out = after_refusal.carry_out

    async def recorded(uow: UnitOfWork, intents: tuple[Intent, ...]) -> float:
        waits.append(await carry_out(uow, intents))
        return 0.0

    monkeypatch.setattr(after_refusal, "carry_out", recorded)
    return waits


@pytest.fixture(name="quiet_worker")
def quiet_worker_fixture(client: TestClient) -> Iterator[None]:
    """The server's outbox worker stopped for the test, so the test alone sweeps passes
    and claims messages, and a message's body is still there for the test to read."""
    worker = client.app.state.outbox_worker  # type: ignore[attr-defined]
    assert client.portal is not None
    if worker is not None:
        client.portal.call(worker.stop)
    try:
        yield
    finally:
        if worker is not None:
            client.portal.call(worker.start)

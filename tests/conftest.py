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
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.domain.cards import CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.settings import Settings
from openpxs.store.config_apply import CONFIGURATION_TABLES
from openpxs.store.db import create_engine
from openpxs.store.tables import cards, metadata
from openpxs.wire.registry import UNDECLARED

# Local stand-ins for processors, started only by the tests that ask for them.
pytest_plugins = ["tests.fakes.apple_pay", "tests.fakes.localstripe", "tests.fakes.spreedly"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: needs PostgreSQL (row-lock races); runs in the PostgreSQL pass"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests are left out of the SQLite pass (CI runs both passes)."""
    if database_kind() == "postgresql":
        return
    keep = [item for item in items if item.get_closest_marker("postgresql") is None]
    dropped = [item for item in items if item.get_closest_marker("postgresql") is not None]
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


async def demo_state(database_url: str) -> DemoState:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            last = (await conn.execute(select(func.max(cards.c.id)))).scalar()
    finally:
        await engine.dispose()
    return DemoState(last_printed_card=int(last or 0))


@pytest.fixture(scope="session")
def installed(demo_database: str) -> DemoState:
    """The demo installation's marks, read before any test has run."""
    return asyncio.run(demo_state(demo_database))


async def reset_database(engine: AsyncEngine, state: DemoState) -> None:
    """Back to the demo installation: every row written by calls goes, whatever table
    it is in (a new table needs no mention here), and the printed cards are inactive
    again. The program configuration stays: tests that change it restore it."""
    kept = {table.name for table in CONFIGURATION_TABLES} | {cards.name}
    async with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in kept:
                await conn.execute(delete(table))
        await conn.execute(delete(cards).where(cards.c.id > state.last_printed_card))
        await conn.execute(
            update(cards).values(
                status=CardStatus.INACTIVE.value, account_id=None, activated_at=None
            )
        )


def reset(client: TestClient) -> None:
    """Back to the demo installation, from inside a test (hypothesis examples)."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    installed: DemoState = client.app.state.demo_state  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(reset_database, runtime.engine, installed)


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

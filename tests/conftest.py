"""Shared fixtures: one database per test session, reset between tests.

Set OPENPXS_TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL;
otherwise it runs on a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.domain.clock import ShiftedClock
from openpxs.settings import Settings

MUTABLE_TABLES = (
    "journal",
    "lots",
    "wallet_balances",
    "transaction_cards",
    "transactions",
    "idempotency_keys",
    "checkins",
    "outbox",
    "users",
    "accounts",
    "user_unique_values",
    "user_addresses",
    "external_accounts",
    "related_guests",
    "account_perks",
    "oauth_tokens",
    "sign_in_failures",
    "verification_codes",
    "referrals",
    "referral_codes",
    "visit_codes",
    "pending_event_rewards",
    "combine_workflows",
    "checks",
    "coupon_uses",
    "price_match_discounts",
    "event_loads",
)
# Cards the enrollment service creates (virtual cards) start with this digit; the demo's
# printed ranges never do, so a reset can drop them.
VIRTUAL_CARD_PATTERN = "9%"


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
def session_client(demo_database: str) -> Iterator[TestClient]:
    clock = ShiftedClock()
    app = create_app(Settings(database_url=demo_database, log_level="WARNING"), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


async def reset_database(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in MUTABLE_TABLES:
            await conn.execute(text(f"DELETE FROM {table}"))
        await conn.execute(
            text("DELETE FROM cards WHERE printed_card_number LIKE :virtual"),
            {"virtual": VIRTUAL_CARD_PATTERN},
        )
        await conn.execute(
            text("UPDATE cards SET status = 'inactive', account_id = NULL, activated_at = NULL")
        )


@pytest.fixture
def client(session_client: TestClient) -> TestClient:
    runtime = session_client.app.state.runtime  # type: ignore[attr-defined]
    runtime.clock.offset = ShiftedClock().offset
    assert session_client.portal is not None
    session_client.portal.call(reset_database, runtime.engine)
    return session_client


@pytest.fixture
def clock(client: TestClient) -> ShiftedClock:
    clock: ShiftedClock = client.app.state.runtime.clock  # type: ignore[attr-defined]
    return clock

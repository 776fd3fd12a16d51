"""Applying a merchant file to the database, and issuing card ranges.

Runs on SQLite always, and on PostgreSQL too when OPENPXS_TEST_DATABASE_URL names one.
Each test uses its own random merchant ids and removes their rows afterwards, so a
shared PostgreSQL database stays usable.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.config import DEMO_CONFIG_FILES, MerchantConfig
from openpxs.security import hash_secret, seal_registration_code, verify_secret
from openpxs.store import tables
from openpxs.store.card_issue import CardIssueError, issue_cards
from openpxs.store.config_apply import ConfigApplyError, apply_config
from openpxs.store.db import create_engine, migrate

# db_url is the pass's PostgreSQL database when there is one.
pytestmark = [pytest.mark.anyio, pytest.mark.uses_test_database]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The pass's database: PostgreSQL when the suite runs on it, else a fresh SQLite file."""
    url = os.environ.get("OPENPXS_TEST_DATABASE_URL", "")
    if url.startswith("postgresql://"):
        return url
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def merchant_ids() -> tuple[int, int]:
    first = random.randint(10_000_000, 1_000_000_000)
    return first, first + 1


@asynccontextmanager
async def _database(url: str, merchant_ids: tuple[int, ...]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    await migrate(engine)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            for table in tables.metadata.sorted_tables:
                if "merchant_id" in table.c:
                    await conn.execute(delete(table).where(table.c.merchant_id.in_(merchant_ids)))
        await engine.dispose()


def _demo_data(merchant_id: int) -> dict[str, Any]:
    """Demo merchant 1000 under another id, with identifiers of its own."""
    data: dict[str, Any] = yaml.safe_load(DEMO_CONFIG_FILES[0].read_text(encoding="utf-8"))
    data["merchant"]["id"] = merchant_id
    for integration in data["integrations"]:
        integration["identifier"] += f"-{merchant_id}"
    website = data["guest"]["website"]
    website["integration"] += f"-{merchant_id}"
    for client in [*website["sso"], *website.get("partner_links", [])]:
        client["integration"] += f"-{merchant_id}"
    return data


def _config(data: dict[str, Any]) -> MerchantConfig:
    return MerchantConfig.model_validate(data)


async def _rows(conn: AsyncConnection, table: Any, merchant_id: int) -> list[dict[str, Any]]:
    result = await conn.execute(select(table).where(table.c.merchant_id == merchant_id))
    return [dict(row._mapping) for row in result]


async def _count_cards(conn: AsyncConnection, merchant_id: int) -> int:
    count = await conn.scalar(
        select(func.count())
        .select_from(tables.cards)
        .where(tables.cards.c.merchant_id == merchant_id)
    )
    return int(count or 0)


async def test_apply_writes_the_file_and_is_idempotent(
    db_url: str, merchant_ids: tuple[int, int]
) -> None:
    mid = merchant_ids[0]
    config = _config(_demo_data(mid))
    async with _database(db_url, merchant_ids) as engine:
        async with engine.begin() as conn:
            first = await apply_config(conn, config, NOW)
        assert first.merchant_created and first.new_cards == 2000
        assert {name: len(c.created) for name, c in first.sections.items()} == {
            "programs": 2,
            "card_templates": 3,
            "wallets": 4,
            "stores": 3,
            "integrations": 3,
        }

        async with engine.connect() as conn:
            wallets = {w["code"]: w for w in await _rows(conn, tables.wallets, mid)}
            stores = {s["code"]: s for s in await _rows(conn, tables.stores, mid)}
            integrations = {i["identifier"]: i for i in await _rows(conn, tables.integrations, mid)}
            before = await _rows(conn, tables.merchants, mid)
            cards = await _rows(conn, tables.cards, mid)
        assert wallets[3]["pos"] == {"valueAmount": "5.00"} and wallets[1]["pos"] == {}
        assert (wallets[1]["scale"], wallets[1]["giftable"], wallets[2]["kind"]) == (
            2,
            True,
            "points",
        )
        assert stores["corp"]["address"]["stateProvince"] == "MA"
        assert stores["corp"]["address"]["postalCode"] == "02110"
        assert (stores["corp"]["latitude"], stores["corp"]["longitude"]) == ("42.3555", "-71.0565")
        assert stores["1001"]["groups"] == ["boston"]
        pos = integrations[f"demo-pos-{mid}"]
        assert pos["secret_hash"].startswith("$argon2") and pos["enabled"]
        assert verify_secret(pos["secret_hash"], "demo-pos-secret")
        assert pos["styles"] == ["b2b"]
        assert len(cards) == 2000
        assert {(c["status"], c["account_id"]) for c in cards} == {("inactive", None)}
        # Printed with 1234, kept as its keyed digest only.
        assert all(
            c["registration_code"] == seal_registration_code(c["printed_card_number"], "1234")
            for c in cards
        )
        numbers = {(c["template_code"], c["printed_card_number"]) for c in cards}
        assert (2, "6000000000001000") in numbers and (1, "7000000000000001") in numbers
        assert (2, "6000000000001001") not in numbers

        async with engine.begin() as conn:
            second = await apply_config(conn, config, LATER)
        assert not second.changed and second.new_cards == 0
        assert {name: c.unchanged for name, c in second.sections.items()} == {
            "programs": 2,
            "card_templates": 3,
            "wallets": 4,
            "stores": 3,
            "integrations": 3,
        }
        async with engine.connect() as conn:
            after = await _rows(conn, tables.merchants, mid)
            again = {i["identifier"]: i for i in await _rows(conn, tables.integrations, mid)}
            assert await _count_cards(conn, mid) == 2000
        # Not even updated_at moves, and the salted hash is kept rather than redone.
        assert after == before
        assert again == integrations


async def test_changes_are_applied_and_removals_reported(
    db_url: str, merchant_ids: tuple[int, int]
) -> None:
    mid = merchant_ids[0]
    data = _demo_data(mid)
    async with _database(db_url, merchant_ids) as engine:
        async with engine.begin() as conn:
            await apply_config(conn, _config(data), NOW)
            old_hash = (await _rows(conn, tables.integrations, mid))[0]["secret_hash"]

        data["wallets"][0]["scale"] = 3
        data["stores"] = [s for s in data["stores"] if s["code"] != "1002"]
        data["integrations"][0]["secret"] = "a-new-secret"
        del data["integrations"][1]
        # They named the integration removed.
        data["guest"]["website"]["sso"] = data["guest"]["website"]["partner_links"] = []
        data["card_ranges"][0]["count"] = 1010
        async with engine.begin() as conn:
            report = await apply_config(conn, _config(data), LATER)
            rows = {i["identifier"]: i for i in await _rows(conn, tables.integrations, mid)}
            stores = {s["code"] for s in await _rows(conn, tables.stores, mid)}
            [merchant] = await _rows(conn, tables.merchants, mid)
            scale = (await _rows(conn, tables.wallets, mid))[0]["scale"]

        assert report.sections["wallets"].updated == ["1"] and scale == 3
        assert report.sections["stores"].not_in_file == ["1002"] and "1002" in stores
        assert report.sections["integrations"].updated == [f"demo-pos-{mid}"]
        assert report.disabled_integrations == [f"demo-app-{mid}"]
        assert not rows[f"demo-app-{mid}"]["enabled"] and rows[f"demo-pos-{mid}"]["enabled"]
        new_hash = rows[f"demo-pos-{mid}"]["secret_hash"]
        assert new_hash != old_hash and verify_secret(new_hash, "a-new-secret")
        assert report.new_cards == 10
        assert merchant["updated_at"] == LATER


async def test_secret_hash_is_stored_as_given(db_url: str, merchant_ids: tuple[int, int]) -> None:
    mid = merchant_ids[0]
    data = _demo_data(mid)
    given = hash_secret("from-a-vault")
    data["integrations"][0].pop("secret")
    data["integrations"][0]["secret_hash"] = given
    data["card_ranges"] = []
    async with _database(db_url, merchant_ids) as engine, engine.begin() as conn:
        await apply_config(conn, _config(data), NOW)
        rows = {
            i["identifier"]: i["secret_hash"] for i in await _rows(conn, tables.integrations, mid)
        }
    assert rows[f"demo-pos-{mid}"] == given


async def test_identifier_of_another_merchant_is_refused(
    db_url: str, merchant_ids: tuple[int, int]
) -> None:
    first, second = merchant_ids
    taken = _demo_data(first)
    thief = _demo_data(second)
    thief["integrations"][1]["identifier"] = taken["integrations"][1]["identifier"]
    thief["guest"]["website"]["sso"][0]["integration"] = taken["integrations"][1]["identifier"]
    thief["guest"]["website"]["partner_links"][0]["integration"] = taken["integrations"][1][
        "identifier"
    ]
    async with _database(db_url, merchant_ids) as engine:
        async with engine.begin() as conn:
            await apply_config(conn, _config(taken), NOW)
        with pytest.raises(ConfigApplyError) as info:
            async with engine.begin() as conn:
                await apply_config(conn, _config(thief), NOW)
        assert info.value.loc == ("integrations", 1, "identifier")
        assert str(first) in info.value.reason
        async with engine.connect() as conn:
            assert await _rows(conn, tables.merchants, second) == []


async def test_issue_cards_pads_skips_and_reports_progress(
    db_url: str, merchant_ids: tuple[int, int]
) -> None:
    mid = merchant_ids[0]
    data = _demo_data(mid)
    data["card_ranges"] = []
    async with _database(db_url, merchant_ids) as engine:
        async with engine.begin() as conn:
            await apply_config(conn, _config(data), NOW)
            seen: list[int] = []
            made = await issue_cards(conn, mid, 2, "0095", 10, None, seen.append, batch_size=4)
            assert (made, seen) == (10, [4, 8, 10])
            made = await issue_cards(conn, mid, 2, "0090", 20, "77", batch_size=7)
            assert made == 10
            cards = {c["printed_card_number"]: c for c in await _rows(conn, tables.cards, mid)}
        assert sorted(cards) == [f"{n:04d}" for n in range(90, 110)]
        # Existing cards keep what they were issued with.
        assert cards["0095"]["registration_code"] is None
        assert cards["0090"]["registration_code"] == seal_registration_code("0090", "77")

        async with engine.begin() as conn:
            with pytest.raises(CardIssueError, match="no card template 9"):
                await issue_cards(conn, mid, 9, "1", 1, None)
            with pytest.raises(CardIssueError, match=f"merchant {merchant_ids[1]} does not"):
                await issue_cards(conn, merchant_ids[1], 2, "1", 1, None)
            with pytest.raises(CardIssueError, match="runs past 99"):
                await issue_cards(conn, mid, 2, "98", 3, None)
            with pytest.raises(CardIssueError, match="digits"):
                await issue_cards(conn, mid, 2, "1e5", 3, None)

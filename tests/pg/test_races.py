"""Concurrent calls on one card: row locks (PostgreSQL) and serialized writers (SQLite)
must let exactly the right number through.

Each race runs a second application on its own event loop and fires the calls at once
with asyncio.gather, so they really interleave at every database round trip. The
PostgreSQL runs need OPENPXS_TEST_DATABASE_URL=postgresql://...; the SQLite runs use a
fresh database file of their own and run everywhere.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.settings import Settings
from openpxs.store.audit import audit
from openpxs.store.tables import accounts, journal, transactions, wallet_balances
from tests.api.pos import GIFT, POS, add_redeem_body, card, header, sell_body, sv

ON_POSTGRES = os.environ.get("OPENPXS_TEST_DATABASE_URL", "").startswith("postgres")
AUTH = {"Authorization": "Basic " + base64.b64encode(":".join(POS).encode()).decode()}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def race_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        asyncio.run(install_demo(url))
        return url
    # The session database, emptied by the client fixture.
    request.getfixturevalue("client")
    url: str = request.getfixturevalue("database_url")
    return url


class Pos:
    def __init__(self, http: httpx.AsyncClient, engine: AsyncEngine):
        self.http, self.engine = http, engine

    async def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(
            f"/rest/24.11/transaction/{operation}.json", json=body, headers=AUTH
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def at_once(self, operation: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.call(operation, b) for b in bodies)))

    async def balance(self, number: str = GIFT) -> str:
        reply = await self.call(
            "balanceInquiry", {"headerInfo": header(), "cardInfo": card(number)}
        )
        value: str = reply["svCurrentBalance"]
        return value

    async def audit_problems(self) -> list[Any]:
        async with self.engine.connect() as conn:
            _, problems = await audit(conn)
        return problems

    async def count(self, table: Any, *where: Any) -> int:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(func.count()).select_from(table).where(*where))
            return int(found.scalar_one())


def of_gift(kind: str) -> tuple[Any, ...]:
    """Transactions of this kind on the card under test (the demo has its own)."""
    return (transactions.c.kind == kind, transactions.c.card_number == GIFT)


def race(url: str, scenario: Callable[[Pos], Awaitable[None]]) -> None:
    """Run ``scenario`` against a fresh application of its own on ``url``."""

    @asynccontextmanager
    async def running() -> AsyncIterator[Pos]:
        app = create_app(Settings(database_url=url, log_level="WARNING", db_pool_size=10))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Pos(http, app.state.runtime.engine)

    async def main() -> None:
        async with running() as pos:
            await scenario(pos)

    asyncio.run(main())


def outcome(reply: dict[str, Any]) -> str:
    return str(reply.get("errorCode", reply["result"]))


def test_fifty_one_dollar_redeems_on_twenty_five_dollars(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        sold = await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        assert sold["svCurrentBalance"] == "25.00", sold
        replies = await pos.at_once(
            "addRedeem", [add_redeem_body(GIFT, redeem=sv("1.00")) for _ in range(50)]
        )
        assert Counter(map(outcome, replies)) == {
            "authorizedSuccess": 25,
            "transaction.insufficient_balance": 25,
        }
        # Each success saw its own balance: 24.00, 23.00 ... 0.00, each exactly once.
        seen = sorted(r["svCurrentBalance"] for r in replies if r["result"] == "authorizedSuccess")
        assert seen == sorted(f"{n}.00" for n in range(25))
        assert await pos.balance() == "0.00"
        assert await pos.count(transactions, *of_gift("addRedeem")) == 25
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_twenty_identical_retries_move_value_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        body = add_redeem_body(GIFT, add=sv("5.00"), redeem=sv("2.50"), pos_id="retry-1")
        replies = await pos.at_once("addRedeem", [body] * 20)
        assert replies[0]["result"] == "authorizedSuccess", replies[0]
        assert replies[0]["svCurrentBalance"] == "27.50"
        assert all(r == replies[0] for r in replies), [outcome(r) for r in replies]
        assert await pos.balance() == "27.50"
        assert await pos.count(transactions, *of_gift("addRedeem")) == 1
        # The sale, the add, the redemption (the demo guest's history aside).
        assert await pos.count(journal, journal.c.wallet_code == 1) == 3
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_identical_retries_spending_the_whole_balance_all_replay(race_url: str) -> None:
    """The retry key is claimed in the statement that locks the card: a twin waiting on
    the lock must replay the first reply, not find the balance spent."""

    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        body = add_redeem_body(GIFT, redeem=sv("25.00"), pos_id="all-of-it")
        replies = await pos.at_once("addRedeem", [body] * 12)
        assert replies[0]["result"] == "authorizedSuccess", replies[0]
        assert all(r == replies[0] for r in replies), [outcome(r) for r in replies]
        assert await pos.balance() == "0.00"
        assert await pos.count(transactions, *of_gift("addRedeem")) == 1
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_ten_concurrent_reversals_of_one_transaction(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        spent = await pos.call("addRedeem", add_redeem_body(GIFT, redeem=sv("10.00")))
        assert spent["svCurrentBalance"] == "15.00", spent
        body = {"headerInfo": header(programId="PX"), "pxTransactionId": spent["pxTransactionId"]}
        replies = await pos.at_once("reverse", [body] * 10)
        assert Counter(map(outcome, replies)) == {
            "authorizedSuccess": 1,
            "transaction.already_voided": 9,
        }, [json.dumps(r) for r in replies]
        assert await pos.balance() == "25.00"
        assert await pos.count(transactions, transactions.c.kind == "reverse") == 1
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_twenty_different_sales_of_one_card_sell_it_once(race_url: str) -> None:
    """Twenty terminals sell the same gift card at once: one sale, nineteen refusals,
    one account and one load (PostgreSQL's sales read without locks first)."""

    async def scenario(pos: Pos) -> None:
        bodies = [sell_body(GIFT, "25.00", pos_id=f"sale-{n}") for n in range(20)]
        outcomes = Counter(outcome(r) for r in await pos.at_once("activateAdd", bodies))
        assert outcomes == {
            "authorizedSuccess": 1,
            "transaction.card_already_active": 19,
        }, outcomes
        assert await pos.count(transactions, *of_gift("activateAdd")) == 1
        assert await pos.balance() == "25.00"
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_twenty_identical_sales_of_one_card_all_answer_the_same(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        body = sell_body(GIFT, "25.00", pos_id="one-sale")
        replies = await pos.at_once("activateAdd", [body] * 20)
        assert {json.dumps(r, sort_keys=True) for r in replies} == {
            json.dumps(replies[0], sort_keys=True)
        }
        assert replies[0]["result"] == "authorizedSuccess", replies[0]
        assert await pos.count(transactions, *of_gift("activateAdd")) == 1
        assert await pos.balance() == "25.00"
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_the_client_fixture_database_is_left_usable(client: TestClient) -> None:
    """The races above share the session database on PostgreSQL; the next test's reset
    must still work (no lock or connection left behind)."""
    reply = client.post("/rest/24.11/transaction/activateAdd.json", json=sell_body(GIFT), auth=POS)
    assert reply.json()["result"] == "authorizedSuccess"


def test_a_load_racing_the_void_of_its_sale_never_lands_on_a_closed_account(
    race_url: str,
) -> None:
    """Either the void wins (the load is refused) or the load wins (the void is refused)."""

    async def scenario(pos: Pos) -> None:
        for i in range(60):
            number = f"60000000000001{i:02d}"
            sale = sell_body(number, "25.00", pos_id=f"S-{i}")
            assert (await pos.call("activateAdd", sale))["result"] == "authorizedSuccess"
            load, void = await asyncio.gather(
                pos.call("addRedeem", add_redeem_body(number, add=sv("10.00"), pos_id=f"A-{i}")),
                pos.call("voidActivateAdd", sale),
            )
            outcomes = {outcome(load), outcome(void)}
            assert outcomes in (
                {"authorizedSuccess", "transaction.card_not_in_required_state"},
                {"authorizedSuccess", "transaction.card_not_active"},
            ), (load, void)
        async with pos.engine.connect() as conn:
            stranded = await conn.execute(
                select(func.count())
                .select_from(
                    wallet_balances.join(accounts, accounts.c.id == wallet_balances.c.account_id)
                )
                .where(accounts.c.status == "closed", wallet_balances.c.units != 0)
            )
            assert stranded.scalar_one() == 0
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_fifty_mixed_redeems_voids_and_reverses_on_one_card(race_url: str) -> None:
    """Redeems, voids of earlier redeems and reversals of them, all at once."""

    async def scenario(pos: Pos) -> None:
        await pos.call("activateAdd", sell_body(GIFT, "100.00"))
        earlier = []
        for n in range(20):
            body = add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"E-{n}")
            earlier.append((body, (await pos.call("addRedeem", body))["pxTransactionId"]))
        assert await pos.balance() == "80.00"
        calls = []
        for n, (body, px) in enumerate(earlier):
            if n % 2 == 0:
                calls.append(pos.call("voidAddRedeem", body))
            calls.append(pos.call("reverse", {"headerInfo": header(), "pxTransactionId": px}))
        calls.extend(
            pos.call("addRedeem", add_redeem_body(GIFT, redeem=sv("1.00"), pos_id=f"N-{n}"))
            for n in range(20)
        )
        replies = await asyncio.gather(*calls)
        assert len(replies) == 50
        undone = [r for r in replies[:30] if r["result"] == "authorizedSuccess"]
        refused = Counter(outcome(r) for r in replies[:30] if r not in undone)
        # Each earlier redeem is undone exactly once: by its void or by its reverse.
        assert len(undone) == 20, refused
        assert set(refused) <= {"transaction.already_voided"}
        assert all(r["result"] == "authorizedSuccess" for r in replies[30:])
        # 80 + 20 put back - 20 new = 80
        assert await pos.balance() == "80.00"
        assert await pos.audit_problems() == []

    race(race_url, scenario)

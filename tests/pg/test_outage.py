"""A database outage: calls fail fast with a 503 envelope, and service resumes alone.

The app reaches PostgreSQL through a TCP relay that the test can cut and restore,
which is what the server sees when the database goes away and comes back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from openpxs.app import create_app
from openpxs.settings import Settings
from tests.api.pos import POS, card, header, sell_body
from tests.pg.serving import Relay, served

pytestmark = pytest.mark.postgresql


def test_calls_fail_fast_while_the_database_is_away_and_recover(
    client: Any, database_url: str
) -> None:
    real = make_url(database_url)

    async def scenario() -> None:
        relay = Relay(real.host or "127.0.0.1", real.port or 5432)
        await relay.open()
        via_relay = real.set(port=relay.port).render_as_string(hide_password=False)
        async with served(via_relay) as (_, call):
            inquiry = {"headerInfo": header(), "cardInfo": card()}
            assert (await call("activateAdd", sell_body())).json()["result"] == (
                "authorizedSuccess"
            )
            await relay.cut()
            for _ in range(3):
                down = await asyncio.wait_for(call("balanceInquiry", inquiry), timeout=30)
                assert down.status_code == 503
                assert down.json()["errorCode"] == "system.unavailable"
            await relay.open()  # the database is back, on the same address
            up = await call("balanceInquiry", inquiry)
            assert up.status_code == 200, up.text
            assert up.json()["svCurrentBalance"] == "25.00"
        await relay.cut()

    asyncio.run(scenario())


def test_a_restart_between_calls_costs_at_most_one_failed_call(
    client: Any, database_url: str
) -> None:
    """Pooled connections are not pinged before use: after the database restarts, the
    first call on a dead connection gets a 503 and the pool reconnects for the rest."""
    real = make_url(database_url)

    async def scenario() -> list[int]:
        relay = Relay(real.host or "127.0.0.1", real.port or 5432)
        await relay.open()
        via_relay = real.set(port=relay.port).render_as_string(hide_password=False)
        app = create_app(Settings(database_url=via_relay, log_level="CRITICAL"))
        statuses = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                inquiry = {"headerInfo": header(), "cardInfo": card()}
                url = "/rest/24.11/transaction/balanceInquiry.json"
                sold = await http.post(
                    "/rest/24.11/transaction/activateAdd.json", json=sell_body(), auth=POS
                )
                assert sold.json()["result"] == "authorizedSuccess"
                # Several pooled connections, all of which the restart kills.
                await asyncio.gather(*(http.post(url, json=inquiry, auth=POS) for _ in range(4)))
                await relay.cut()
                await relay.open()
                for _ in range(4):
                    statuses.append((await http.post(url, json=inquiry, auth=POS)).status_code)
        await relay.cut()
        return statuses

    statuses = asyncio.run(scenario())
    assert statuses[1:] == [200, 200, 200], statuses
    assert statuses[0] in (200, 503)

"""kill -9 in the middle of traffic: nothing acknowledged is lost, nothing retried twice.

Terminals load value with addRedeem, each call with its own posTransactionId, and
retry a call whose reply never came (connection refused or reset, or a reply the
terminal treats as lost) with the same body until it is acknowledged. The server is
killed with SIGKILL mid-run and started again; afterwards every acknowledged call is in
the ledger exactly once, each card's balance is what its acknowledged calls add up to,
and the audit is clean.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from openpxs.demo import install_demo
from openpxs.store.db import create_engine
from openpxs.store.tables import transactions
from tests.api.pos import POS, add_redeem_body, card, header, sell_body, sv
from tests.conftest import database_kind
from tests.e2e.server import free_port, openpxs_command, start

TERMINALS = 8
CALLS_PER_TERMINAL = 40
CARDS = [f"60000000000005{n:02d}" for n in range(TERMINALS)]


def test_kill_nine_mid_traffic_loses_and_doubles_nothing(
    tmp_path: Path, database_url: str, client: Any
) -> None:
    # `client` empties the session database first, for the PostgreSQL pass.
    url = database_url if database_kind() == "postgresql" else f"sqlite:///{tmp_path / 'c.db'}"
    asyncio.run(install_demo(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}/rest/24.11/transaction"
    servers = [start(["serve", "--database", url], tmp_path / "first.log", port)]
    acknowledged: dict[str, list[str]] = {number: [] for number in CARDS}
    third_done = asyncio.Event()

    async def post(http: httpx.AsyncClient, operation: str, body: dict[str, Any]) -> Any:
        """Send until a reply arrives: the POS retry loop, bounded."""
        for _ in range(600):
            try:
                reply = await http.post(f"{base}/{operation}.json", json=body, auth=POS)
                return reply.json()
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise AssertionError("no reply after a minute of retries")

    async def terminal(http: httpx.AsyncClient, number: str) -> None:
        for n in range(CALLS_PER_TERMINAL):
            pos_id = f"{number}-{n}"
            body = add_redeem_body(number, add=sv("1.00"), pos_id=pos_id)
            if n % 5 == 0:
                # A reply lost on the way back (a timeout at the POS): the call ran, the
                # terminal does not know, and sends it again.
                await post(http, "addRedeem", body)
            reply = await post(http, "addRedeem", body)
            assert reply["result"] == "authorizedSuccess", reply
            acknowledged[number].append(pos_id)
            if sum(map(len, acknowledged.values())) >= TERMINALS * CALLS_PER_TERMINAL // 3:
                third_done.set()

    async def crash_and_restart() -> None:
        await third_done.wait()
        servers[-1].send_signal(signal.SIGKILL)
        servers[-1].wait(timeout=30)
        servers.append(
            await asyncio.to_thread(
                start, ["serve", "--database", url], tmp_path / "second.log", port
            )
        )

    async def traffic() -> None:
        limits = httpx.Limits(max_keepalive_connections=TERMINALS)
        async with httpx.AsyncClient(timeout=10, limits=limits) as http:
            for number in CARDS:
                assert (await post(http, "activateAdd", sell_body(number, "1.00")))["result"] == (
                    "authorizedSuccess"
                )
            await asyncio.gather(crash_and_restart(), *(terminal(http, n) for n in CARDS))
            for number in CARDS:
                reply = await post(
                    http, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(number)}
                )
                assert reply["svCurrentBalance"] == f"{1 + len(acknowledged[number])}.00"

    async def ledger_counts() -> dict[str, int]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(transactions.c.pos_transaction_id, func.count())
                    .where(transactions.c.kind == "addRedeem")
                    .group_by(transactions.c.pos_transaction_id)
                )
                return {row[0]: row[1] for row in rows}
        finally:
            await engine.dispose()

    try:
        asyncio.run(traffic())
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
    assert len(servers) == 2, "the server was never killed"
    counts = asyncio.run(ledger_counts())
    every_ack = [pos_id for ids in acknowledged.values() for pos_id in ids]
    assert len(every_ack) == TERMINALS * CALLS_PER_TERMINAL
    assert {pos_id: counts.get(pos_id) for pos_id in every_ack} == dict.fromkeys(every_ack, 1)
    audit = subprocess.run(
        [*openpxs_command(), "audit", "--database", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr

"""A flood of wrong passwords must not stall the other calls of the process.

Argon2 costs tens of milliseconds of CPU per check; on the event loop, every call in
flight waits for each one. The POS calls are timed in the same process while sign-ins
with wrong passwords arrive from many addresses, and compared with the same calls
timed without the flood (no absolute times: the machine's speed cancels out).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from fastapi.testclient import TestClient

from openpxs.security import hash_secret, verify_secret
from tests.api.pos import GIFT, POS, card, header

FLOODERS = 16
SAMPLES = 9


async def _pos_latencies(pos: httpx.AsyncClient) -> list[float]:
    """Balance inquiries due every 50 ms, each timed from when it was due: a call that
    could not even start because the event loop was busy counts that wait too."""
    body = {"headerInfo": header(), "cardInfo": card(GIFT)}
    loop = asyncio.get_running_loop()
    first = loop.time()
    seconds = []
    for n in range(SAMPLES):
        due = first + 0.05 * (n + 1)
        await asyncio.sleep(max(0.0, due - loop.time()))
        reply = await pos.post("/rest/24.11/transaction/balanceInquiry.json", json=body, auth=POS)
        seconds.append(loop.time() - due)
        assert reply.status_code == 200, reply.text
    return seconds


async def _flood(app: Any, address: str, stop: asyncio.Event, refused: list[str]) -> None:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as guest:
        attempt = 0
        while not stop.is_set():
            attempt += 1
            reply = await guest.post(
                "/rest/24.11/oauth/requestGuestToken.json",
                json={
                    "merchantId": 1000,
                    "client_id": "demo-app",
                    "client_secret": "demo-app-secret",
                    "grant_type": "password",
                    "username": f"nobody-{address}-{attempt}",
                    "password": "Wr0ng-passw0rd",
                },
            )
            assert reply.status_code < 500, reply.text
            refused.append(reply.json()["errorCode"])


async def _measure(app: Any) -> tuple[float, float, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as pos:
        await _pos_latencies(pos)  # warm up
        unloaded = statistics.median(await _pos_latencies(pos))
        stop, refused = asyncio.Event(), list[str]()
        flooders = [
            asyncio.create_task(_flood(app, f"198.51.100.{i + 1}", stop, refused))
            for i in range(FLOODERS)
        ]
        await asyncio.sleep(0.3)  # the flood is under way
        loaded = statistics.median(await _pos_latencies(pos))
        stop.set()
        await asyncio.gather(*flooders)
    return unloaded, loaded, len(refused)


def _one_check() -> float:
    stored = hash_secret("something else")
    started = time.perf_counter()
    verify_secret(stored, "Wr0ng-passw0rd")
    return time.perf_counter() - started


def test_wrong_passwords_do_not_stall_pos_calls(client: TestClient) -> None:
    before = _one_check()
    assert client.portal is not None
    unloaded, loaded, refused = client.portal.call(_measure, client.app)
    # The machine's speed at the time of the test: argon2 timed as the flood ends.
    one_check = max(before, _one_check())

    assert refused >= FLOODERS  # the flood really ran its password checks
    # On the event loop, a POS call waited for the check running when it was due (half
    # a check at the median, more when one ran between its own steps); off it, the flood
    # only competes for the CPU.
    assert loaded < 5 * unloaded + one_check / 3, (unloaded, loaded, one_check, refused)

"""A flood of wrong passwords must not stall the other calls of the process.

Argon2 costs tens of milliseconds of CPU per check; on the event loop, every call in
flight would wait for each one, and inside a transaction on SQLite it would hold the one
write lock. Here every check is made to hang until the test lets it go. While the
flood's checks hang, POS calls (a read, and a write that needs SQLite's write lock) must
still complete: they could not if a check ran on the event loop or inside a
transaction. No clock is read, so a busy machine cannot make the test fail.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from openpxs import security
from tests.api.pos import GIFT, POS, activate, add_redeem_body, card, header, ok, sv

FLOODERS = 16
# Long enough for nothing on a loaded machine to reach it; a check on the event loop
# hangs the POS calls until then, and they are found to have finished too late.
HANG_SECONDS = 60.0


class HangingChecks:
    """Stands in for argon2: each check waits for ``release``, counting those waiting."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0
        self.ran = 0
        # Set (on the test's event loop) once every check allowed at once is hanging.
        self.all_hanging = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    def verify(self, stored: str, secret: str) -> bool:
        with self._lock:
            self.waiting += 1
            self.ran += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
            if self.waiting >= security._limit and self.loop is not None:
                self.loop.call_soon_threadsafe(self.all_hanging.set)
        self.release.wait(HANG_SECONDS)
        with self._lock:
            self.waiting -= 1
        return False


async def _flood(app: Any, address: str, stop: asyncio.Event, replies: list[str]) -> None:
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
            replies.append(reply.json()["errorCode"])


async def _pos_calls_during_flood(app: Any, checks: HangingChecks) -> list[str]:
    checks.loop = asyncio.get_running_loop()
    stop, replies = asyncio.Event(), list[str]()
    flooders = [
        asyncio.create_task(_flood(app, f"198.51.100.{i + 1}", stop, replies))
        for i in range(FLOODERS)
    ]
    try:
        # Every check the process allows at once is hanging, and the rest queue for them.
        await asyncio.wait_for(checks.all_hanging.wait(), 30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as pos:
            inquiry = {"headerInfo": header(), "cardInfo": card(GIFT)}
            for operation, body in (
                ("balanceInquiry", inquiry),
                ("addRedeem", add_redeem_body(GIFT, add=sv("1.00"), pos_id="flood-1")),
                ("balanceInquiry", inquiry),
            ):
                reply = await pos.post(
                    f"/rest/24.11/transaction/{operation}.json", json=body, auth=POS
                )
                assert reply.status_code == 200, reply.text
                assert reply.json()["result"] == "authorizedSuccess", reply.text
                # Finished while the flood's checks still hang: none of them held it up.
                assert not checks.release.is_set(), f"{operation} waited for the checks"
                assert checks.waiting >= 1
    finally:
        stop.set()
        checks.release.set()
        await asyncio.gather(*flooders)
    return replies


def test_wrong_passwords_do_not_stall_pos_calls(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(activate(client, GIFT))
    checks = HangingChecks()
    monkeypatch.setattr(security, "verify_secret", checks.verify)
    assert client.portal is not None

    replies = client.portal.call(_pos_calls_during_flood, client.app, checks)

    # The flood was refused as wrong passwords are, after its checks really ran ...
    assert len(replies) >= FLOODERS
    assert set(replies) == {"could_not_authenticate"}, set(replies)
    # ... and no more of them ran at once than the process allows.
    assert checks.ran >= security._limit
    assert checks.most_waiting == security._limit

"""localstripe (a local Stripe API server, from the package index) as its own process,
for the ``stripe`` processor's tests.

One process serves the whole test session on a free port of 127.0.0.1. It starts empty
and keeps its objects in memory only: the launcher turns off localstripe's habit of
saving them to /tmp/localstripe.pickle after every change, so two suites running side by
side (SQLite and PostgreSQL in CI) neither share nor slow each other down.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fakes.servers import free_port, wait_until_up

SECRET_KEY = "sk_test_openpxs"
_LAUNCHER = (
    "import localstripe.resources as r; r.Store.dump_to_disk = lambda self: None; "
    "from localstripe import server; server.start()"
)


@dataclass(frozen=True)
class LocalStripe:
    url: str

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        reply = httpx.post(f"{self.url}{path}", data=data, auth=(SECRET_KEY, ""), timeout=10)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def get(self, path: str) -> dict[str, Any]:
        reply = httpx.get(f"{self.url}{path}", auth=(SECRET_KEY, ""), timeout=10)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def payment_method(self, number: str) -> str:
        """A PaymentMethod for a Stripe test card number, as Stripe.js would make one in
        the guest's browser: the number goes to Stripe only, the server sees the id."""
        made = self.post(
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        return str(made["id"])


@contextmanager
def running_localstripe() -> Iterator[LocalStripe]:
    """A localstripe process of its own, empty, stopped when the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/v1/balance", headers={"Authorization": f"Bearer {SECRET_KEY}"})
        yield LocalStripe(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    with running_localstripe() as running:
        yield running

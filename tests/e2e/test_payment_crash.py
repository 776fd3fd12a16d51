"""kill -9 at each step of a card payment: no charge is left without its value, no value
without its charge.

A real server process pays through the ``stripe`` processor at localstripe, which runs
in a process of its own and so outlives the server. Between the two sits a proxy that
kills the server with SIGKILL at the chosen moment of the charge (or of a payment
intent's capture):

- ``before``: the request is on its way to Stripe; Stripe never sees it;
- ``after``: Stripe has taken the money; the server dies before it hears so.

Then reconciliation (what ``openpxs payments reconcile`` and every server's worker run)
settles the attempts the dead server left open, and the books must agree with Stripe:
money Stripe kept is exactly the value on the card.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from openpxs.config import load_config
from openpxs.demo import install_demo
from openpxs.services.card_payments import reconcile
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine
from openpxs.store.tables import payment_attempts, users
from openpxs.store.uow import unit_of_work
from tests.api.guests import user_fields
from tests.api.pos import APP, POS, header, wallets
from tests.api.pos import card as pos_card
from tests.conftest import database_kind
from tests.e2e.server import free_port, start
from tests.fakes.localstripe import SECRET_KEY, LocalStripe, running_localstripe
from tests.program_config import DEMO_1000, edited_config

KEY_VARIABLE = "OPENPXS_TEST_STRIPE_KEY"
VISA = "4242424242424242"
ADDRESS = {
    "address1": "1 Main St",
    "city": "Boston",
    "stateProvince": "MA",
    "postalCode": "02110",
    "country": "US",
}
CHARGE = re.compile(r"^/v1/payment_intents$")
CAPTURE = re.compile(r"^/v1/payment_intents/[^/]+/capture$")


class KillingProxy:
    """Forwards to localstripe; once armed, kills the server at the first request whose
    path matches, before or after forwarding it (and answers nothing then)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.armed: tuple[re.Pattern[str], str, Callable[[], None]] | None = None
        self.fired = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

            def do_DELETE(self) -> None:
                self._relay()

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                trap = proxy.armed
                path = self.path.split("?")[0]
                hit = trap is not None and self.command == "POST" and trap[0].match(path)
                if hit and trap is not None and trap[1] == "before":
                    proxy.kill(trap[2])
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                reply = httpx.request(
                    self.command, proxy.target + self.path, content=body, headers=headers
                )
                if hit and trap is not None:
                    proxy.kill(trap[2])
                    return
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kill(self, action: Callable[[], None]) -> None:
        self.armed = None
        self.fired.set()
        action()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="localstripe")
def own_localstripe() -> Iterator[LocalStripe]:
    """A localstripe holding this test's payments only, as a merchant's own Stripe
    account would. Reconciliation finds what Stripe did under a key by listing the
    account's intents; the session's localstripe holds every test's, listed oldest
    first, and after the whole suite a lookup there was refused (an interrupted capture
    was then given back instead of left authorized)."""
    with running_localstripe() as running:
        yield running


@pytest.fixture
def proxy(localstripe: LocalStripe) -> Iterator[KillingProxy]:
    made = KillingProxy(localstripe.url)
    yield made
    made.close()


class Site:
    """The database, the server process and the calls a website's back end makes."""

    def __init__(self, url: str, tmp_path: Path, proxy: KillingProxy) -> None:
        self.url, self.tmp_path, self.proxy = url, tmp_path, proxy
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        self.server = start(
            ["serve", "--database", self.url], self.tmp_path / f"run{self.runs}.log", self.port
        )

    def sigkill(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait()

    def call(
        self, operation: str, body: dict[str, Any], *, auth: Any = POS, get: bool = False
    ) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/rest/24.11/{operation}.json"
        payload = {"authentication": "b2b", "merchantId": 1000, **body}
        if get:
            reply = httpx.get(url, params=payload, auth=auth, timeout=30)
        else:
            reply = httpx.post(url, json=payload, auth=auth, timeout=30)
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def call_dying(self, operation: str, body: dict[str, Any]) -> None:
        """A call during which the server is killed: no reply ever comes."""
        with pytest.raises(httpx.TransportError):
            self.call(operation, body)
        assert self.proxy.fired.is_set()
        self.proxy.fired.clear()

    def db(self, work: Callable[[Any], Any]) -> Any:
        async def go() -> Any:
            engine = create_engine(self.url)
            try:
                async with engine.begin() as conn:
                    return await work(conn)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def reconcile(self) -> None:
        async def go() -> None:
            engine = create_engine(self.url)
            try:
                await reconcile(
                    lambda: unit_of_work(engine),
                    datetime.now(UTC),
                    grace=timedelta(0),
                )
            finally:
                await engine.dispose()

        asyncio.run(go())

    def guest(self, username: str) -> str:
        created = self.call(
            "enrollment/createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "activationStoreCode": "corp",
                "setUserFields": user_fields(username),
                "setAccountFields": {"style": "typed"},
            },
            auth=APP,
        )
        assert created["result"] == "cardCreatedSuccess", created

        async def verify(conn: Any) -> None:
            await conn.execute(update(users).values(email_verified=True))

        self.db(verify)
        return str(created["printedCardNumber"])

    def balance(self, card: str) -> str:
        reply = self.call(
            "transaction/balanceInquiry", {"headerInfo": header(), "cardInfo": pos_card(card)}
        )
        assert reply["result"] == "authorizedSuccess", reply
        return str(wallets(reply).get(1) or "0.00")

    def attempt_states(self, card: str) -> list[str]:
        async def work(conn: Any) -> list[str]:
            rows = await conn.execute(
                select(payment_attempts.c.state).where(payment_attempts.c.card_number == card)
            )
            return [str(r[0]) for r in rows]

        return list(self.db(work))


@pytest.fixture
def site(
    tmp_path: Path,
    database_url: str,
    client: Any,
    proxy: KillingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Site]:
    # `client` empties the session database first, for the PostgreSQL pass.
    url = database_url if database_kind() == "postgresql" else f"sqlite:///{tmp_path / 'p.db'}"
    asyncio.run(install_demo(url))
    monkeypatch.setenv(KEY_VARIABLE, SECRET_KEY)  # the server and reconciliation read it

    def to_stripe(data: dict[str, Any]) -> None:
        data["payments"]["processor"] = {
            "kind": "stripe",
            "api_key": {"env": KEY_VARIABLE},
            "publishable_key": "pk_test_openpxs",
            "api_base": proxy.url,
        }

    config = edited_config(to_stripe)
    made = Site(url, tmp_path, proxy)
    made.db(lambda conn: apply_config(conn, config, datetime.now(UTC)))
    made.start()
    try:
        yield made
    finally:
        made.stop()
        # On PostgreSQL this is the session's database: the tests after this one
        # expect the demo program as shipped, with its test processor.
        made.db(lambda conn: apply_config(conn, load_config(DEMO_1000), datetime.now(UTC)))


def kill_at(site: Site, path: re.Pattern[str], moment: str) -> None:
    site.proxy.armed = (path, moment, site.sigkill)


def stripe_intents(localstripe: LocalStripe) -> set[str]:
    """The ids of every PaymentIntent localstripe holds (it serves the whole session)."""
    return {i["id"] for i in localstripe.get("/v1/payment_intents?limit=100")["data"]}


def kept_by_stripe(localstripe: LocalStripe, intent: dict[str, Any]) -> int:
    """Cents Stripe took for the intent and kept (captured less refunded)."""
    fresh = localstripe.get(f"/v1/payment_intents/{intent['id']}")
    if fresh["status"] != "succeeded":
        return 0
    charge = fresh.get("latest_charge")
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    taken = localstripe.get(f"/v1/charges/{charge_id}")
    return int(taken["amount"]) - int(taken.get("amount_refunded") or 0)


def test_kill_nine_at_each_step_of_a_payment_leaves_money_and_value_equal(
    site: Site, localstripe: LocalStripe
) -> None:
    # One server and database for every step: starting them is most of the cost.
    for moment in ("before", "after"):
        a_recharge_killed_at_the_charge(site, localstripe, moment)
        a_capture_killed_at_the_processor(site, localstripe, moment)


def a_recharge_killed_at_the_charge(site: Site, localstripe: LocalStripe, moment: str) -> None:
    card = site.guest(f"kim{moment}")
    earlier = stripe_intents(localstripe)
    method = {"type": "CC", "token": localstripe.payment_method(VISA)}
    kill_at(site, CHARGE, moment)
    site.call_dying(
        "payment/recharge",
        {"printedCardNumber": card, "amount": "20.00", "paymentMethod": method, "address": ADDRESS},
    )
    assert site.attempt_states(card) == ["pending"]
    site.reconcile()
    assert site.attempt_states(card) == ["failed" if moment == "before" else "compensated"]
    site.start()
    assert site.balance(card) == "0.00"
    made = stripe_intents(localstripe) - earlier
    assert len(made) == (0 if moment == "before" else 1)
    assert sum(kept_by_stripe(localstripe, {"id": i}) for i in made) == 0
    # The guest pays again; this time it goes through, once.
    paid = site.call(
        "payment/recharge",
        {"printedCardNumber": card, "amount": "20.00", "paymentMethod": method, "address": ADDRESS},
    )
    assert paid["result"] == "success", paid
    assert site.balance(card) == "20.00"


def a_capture_killed_at_the_processor(site: Site, localstripe: LocalStripe, moment: str) -> None:
    card = site.guest(f"lee{moment}")
    opened = site.call(
        "payment/createCheckoutSession",
        {
            "printedCardNumber": card,
            "amount": "30.00",
            "purpose": "RECHARGE",
            "captureMethod": "MANUAL",
        },
    )
    intent = opened["paymentIntentId"]
    reference = opened["clientSecret"].split("_secret_")[0]
    localstripe.post(
        f"/v1/payment_intents/{reference}", {"payment_method": localstripe.payment_method(VISA)}
    )
    localstripe.post(f"/v1/payment_intents/{reference}/confirm", {})
    read = site.call("payment/paymentIntent", {"paymentIntentId": intent}, get=True)
    assert read["paymentIntent"]["status"] == "AUTHORIZED", read
    kill_at(site, CAPTURE, moment)
    site.call_dying("payment/capturePaymentIntent", {"paymentIntentId": intent})
    site.reconcile()
    site.start()
    after = site.call("payment/paymentIntent", {"paymentIntentId": intent}, get=True)
    status = after["paymentIntent"]["status"]
    at_stripe = {"id": reference}
    if moment == "before":
        # Stripe never captured: the authorization still holds, and a capture now works.
        assert status == "AUTHORIZED", after
        assert (kept_by_stripe(localstripe, at_stripe), site.balance(card)) == (0, "0.00")
        done = site.call("payment/capturePaymentIntent", {"paymentIntentId": intent})
        assert done["paymentIntent"]["status"] == "CAPTURED", done
        assert (kept_by_stripe(localstripe, at_stripe), site.balance(card)) == (3000, "30.00")
    else:
        # Stripe captured but nobody was told: the money goes back, no value is given.
        assert status == "CANCELED", after
        assert (kept_by_stripe(localstripe, at_stripe), site.balance(card)) == (0, "0.00")
    again = site.call("payment/capturePaymentIntent", {"paymentIntentId": intent})
    assert again["errorCode"] == "payment.invalid_payment_intent_state", again

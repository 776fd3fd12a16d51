"""Reloading a card and buying an eGift on the guest website with the ``stripe``
processor (localstripe), over HTTP: Stripe has no hosted checkout page, so the site
answers the form with a page of its own that carries the intent's client secret and the
publishable key and lets Stripe.js (and the site's one script file) run on that page
only; the return page captures what the card element paid, once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.guests import PASSWORD, enroll
from tests.api.test_payment import sv_balance, verify_emails
from tests.api.test_stripe_processor import KEY_VARIABLE
from tests.fakes.localstripe import SECRET_KEY, LocalStripe
from tests.program_config import Edit, program_editor
from tests.web.site import SITE, submit

FAKE_JS = "http://127.0.0.1:9/js.stripe.com/v3/"
VISA = "4242424242424242"


def stripe_at(localstripe: LocalStripe) -> dict[str, Any]:
    return {
        "kind": "stripe",
        "api_key": {"env": KEY_VARIABLE},
        "publishable_key": "pk_test_openpxs",
        "api_base": localstripe.url,
        "js_url": FAKE_JS,
    }


@pytest.fixture(autouse=True)
def stripe_merchant(
    client: TestClient, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Edit], None]]:
    monkeypatch.setenv(KEY_VARIABLE, SECRET_KEY)

    with program_editor(client) as change:
        change(lambda data: data["payments"].update(processor=stripe_at(localstripe)))
        yield change


@pytest.fixture
def card(client: TestClient) -> Iterator[str]:
    """Ada's card; her e-mail is verified and the browser is signed in as her."""
    client.cookies.clear()
    number = str(enroll(client, "ada")["printedCardNumber"])
    verify_emails(client)
    assert submit(client, "signin", {"username": "ada", "password": PASSWORD}).status_code == 303
    yield number
    client.cookies.clear()


def data_of(reply: Response, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]+)"', reply.text)
    assert found, reply.text
    return found.group(1).replace("&amp;", "&")


def paid_in_the_element(localstripe: LocalStripe, secret: str) -> None:
    """What Stripe.js does in the guest's browser: the card goes to Stripe, never to the
    site, and the intent is confirmed with it."""
    intent = secret.split("_secret_")[0]
    method = localstripe.payment_method(VISA)
    localstripe.post(f"/v1/payment_intents/{intent}", {"payment_method": method})
    localstripe.post(f"/v1/payment_intents/{intent}/confirm", {})


def test_the_card_page_carries_the_secret_the_key_and_its_own_policy(
    client: TestClient, card: str, localstripe: LocalStripe
) -> None:
    reply = submit(client, "reload", {"card": card, "amount": "20.00"})
    assert reply.status_code == 200, reply.text
    secret = data_of(reply, "secret")
    assert re.fullmatch(r"pi_\w+_secret_\w+", secret), secret
    assert data_of(reply, "key") == "pk_test_openpxs"
    assert f'<script src="{FAKE_JS}"></script>' in reply.text
    assert f'<script src="{SITE}/static/pay-card.js"></script>' in reply.text
    assert 'id="card-unavailable">Paying by card needs JavaScript' in reply.text
    assert '<form id="pay-card" hidden' in reply.text
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self' http://127.0.0.1:9;" in policy
    assert f"frame-src http://127.0.0.1:9 {localstripe.url};" in policy
    assert f"connect-src http://127.0.0.1:9 {localstripe.url};" in policy
    assert "unsafe-inline" not in policy
    # Every other page keeps the policy without scripts.
    for other in ("reload", "account", "egift"):
        assert "script-src" not in client.get(f"{SITE}/{other}").headers["content-security-policy"]
    script = client.get(f"{SITE}/static/pay-card.js")
    assert script.status_code == 200 and "confirmCardPayment" in script.text
    assert script.headers["content-type"].startswith("text/javascript")

    # Nothing is charged until the element pays; then the return page captures once.
    back = data_of(reply, "return")
    assert back.startswith(f"http://testserver{SITE}/reload/done?ref="), back
    assert "nothing was charged" in client.get(back).text
    paid_in_the_element(localstripe, secret)
    done = client.get(back)
    assert "New balance: 20.00" in done.text, done.text
    assert client.get(back).status_code == 200
    assert sv_balance(client, card) == "20.00"
    intent = localstripe.get(f"/v1/payment_intents/{secret.split('_secret_')[0]}")
    assert intent["status"] == "succeeded" and intent["amount"] == 2000


def test_an_egift_is_paid_in_the_element_and_issued(
    client: TestClient, card: str, localstripe: LocalStripe
) -> None:
    reply = submit(
        client,
        "egift",
        {
            "amount": "25.00",
            "design": "BIRTHDAY",
            "recipient_name": "Grace",
            "recipient_email": "grace@example.com",
            "message": "",
        },
    )
    assert reply.status_code == 200, reply.text
    assert "script-src 'self' http://127.0.0.1:9;" in reply.headers["content-security-policy"]
    back = data_of(reply, "return")
    assert back.startswith(f"http://testserver{SITE}/egift/done?ref="), back
    paid_in_the_element(localstripe, data_of(reply, "secret"))
    done = client.get(back)
    assert "Your eGift of 25.00 is on its way to grace@example.com." in done.text, done.text


def test_without_a_publishable_key_the_form_says_the_payment_cannot_start(
    client: TestClient,
    card: str,
    localstripe: LocalStripe,
    stripe_merchant: Callable[[Edit], None],
) -> None:
    processor = stripe_at(localstripe)
    del processor["publishable_key"]
    stripe_merchant(lambda data: data["payments"].update(processor=processor))
    reply = submit(client, "reload", {"card": card, "amount": "20.00"})
    assert reply.status_code == 400, reply.text
    assert "The payment could not be started." in reply.text
    assert "data-secret" not in reply.text
    assert "script-src" not in reply.headers["content-security-policy"]

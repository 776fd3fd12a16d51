"""Reloading a card and buying an eGift on the guest website, over HTTP: the guest pays
on the test processor's checkout page and comes back to the site, which captures once
(a replayed return page charges and issues nothing more); a refused or abandoned
payment changes nothing; another guest's card and a forged form are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from openpxs.processors.builtin import BuiltinTestProcessor, CheckoutView
from openpxs.store.tables import outbox, payment_attempts, payment_intents, sale_orders
from openpxs.web.test_checkout import return_address
from tests.api.guests import PASSWORD, as_guest, body_of, enroll, gpost
from tests.api.guests import sign_in as sign_in_api
from tests.api.pos import run_db
from tests.api.test_onetimepassword import outbox_messages
from tests.api.test_payment import sv_balance, verify_emails
from tests.program_config import demo_program
from tests.web.site import SITE, submit


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


@pytest.fixture
def card(client: TestClient) -> Iterator[str]:
    """Ada's card; her e-mail is verified and the browser is signed in as her."""
    client.cookies.clear()
    number = str(enroll(client, "ada")["printedCardNumber"])
    verify_emails(client)
    assert submit(client, "signin", {"username": "ada", "password": PASSWORD}).status_code == 303
    yield number
    client.cookies.clear()


def count(client: TestClient, table: Any) -> int:
    async def work(conn: Any) -> int:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar())

    return int(run_db(client, work))


def to_checkout(reply: Response) -> str:
    assert reply.status_code == 303, reply.text
    location = reply.headers["location"]
    assert location.startswith("/test-processor/checkout/1000/cs_"), location
    return location


def pay(client: TestClient, checkout: str, token: str = "tok_visa") -> Response:
    """The guest pays on the processor's page (which needs no CSRF token of the site)."""
    return client.post(checkout, data={"token": token}, follow_redirects=False)


def back_link(page: Response) -> str:
    found = re.search(r'<a href="([^"]+)">Return to the shop</a>', page.text)
    assert found, page.text
    return found.group(1).replace("&amp;", "&")


def reload(client: TestClient, number: str, amount: str = "20.00") -> Response:
    return submit(client, "reload", {"card": number, "amount": amount})


def test_a_reload_paid_on_the_checkout_page_shows_the_new_balance(
    client: TestClient, card: str
) -> None:
    account = client.get(f"{SITE}/account").text
    assert f'href="{SITE}/reload"' in account and f'href="{SITE}/egift"' in account
    form = client.get(f"{SITE}/reload")
    assert form.status_code == 200 and f"Card {card} (balance 0.00)" in form.text
    assert "From 5.00 to 500.00 USD." in form.text
    checkout = to_checkout(reload(client, card, "20"))
    assert "Pay 20.00" in client.get(checkout).text
    paid = pay(client, checkout)
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert back.startswith(f"http://testserver{SITE}/reload/done?ref="), back
    done = client.get(back)
    assert done.status_code == 200
    assert f"20.00 was added to card {card}." in done.text
    assert "New balance: 20.00" in done.text
    assert sv_balance(client, card) == "20.00"
    # The return page loaded again (a browser reload) charges and credits nothing more.
    again = client.get(back)
    assert "New balance: 20.00" in again.text
    assert sv_balance(client, card) == "20.00"
    assert count(client, payment_attempts) == 1


def test_a_refused_or_abandoned_reload_changes_nothing(client: TestClient, card: str) -> None:
    checkout = to_checkout(reload(client, card))
    refused = pay(client, checkout, "tok_decline")
    assert refused.status_code == 402 and "The card was declined" in refused.text
    done = client.get(back_link(refused))
    assert "Reload not completed" in done.text and "nothing was charged" in done.text
    assert "The card was declined" in done.text
    # Abandoned: the guest goes back without paying at all.
    abandoned = client.get(back_link(client.get(to_checkout(reload(client, card, "30")))))
    assert "nothing was charged" in abandoned.text
    assert sv_balance(client, card) in ("", "0.00")
    assert count(client, payment_attempts) == 0
    # The refused checkout is still open: another card pays it.
    assert pay(client, checkout).status_code == 303
    assert sv_balance(client, card) in ("", "0.00")  # credited only on the return page


def test_the_reload_form_refuses_what_the_recharge_rules_refuse(
    client: TestClient, card: str
) -> None:
    for amount in ("4.99", "500.01", "ten", "", "-5", "0.001", "Infinity", "NaN", "1e3", "9" * 400):
        reply = reload(client, card, amount)
        assert reply.status_code == 400, amount
        assert "Enter an amount within the limits shown." in reply.text
        assert 'aria-invalid="true"' in reply.text
    assert count(client, payment_intents) == 0


def test_a_guest_whose_email_is_not_verified_is_told_to_verify_it(client: TestClient) -> None:
    client.cookies.clear()
    number = str(enroll(client, "bea")["printedCardNumber"])
    assert submit(client, "signin", {"username": "bea", "password": PASSWORD}).status_code == 303
    reply = reload(client, number)
    assert reply.status_code == 400
    assert "Verify your e-mail address before reloading a card." in reply.text
    assert count(client, payment_intents) == 0


def test_another_guests_card_and_return_page_are_refused(client: TestClient, card: str) -> None:
    checkout = to_checkout(reload(client, card))
    back = pay(client, checkout).headers["location"]
    client.cookies.clear()
    enroll(client, "bob")
    verify_emails(client)
    assert submit(client, "signin", {"username": "bob", "password": PASSWORD}).status_code == 303
    assert card not in client.get(f"{SITE}/reload").text
    reply = reload(client, card)
    assert reply.status_code == 400 and "Choose one of your cards." in reply.text
    assert count(client, payment_intents) == 1
    # Bob opening Ada's return page learns nothing and captures nothing.
    theirs = client.get(back)
    assert theirs.status_code == 404 and "We cannot find that payment" in theirs.text
    assert client.get(f"{SITE}/reload/done?ref=made-up").status_code == 404
    assert sv_balance(client, card) in ("", "0.00")


def test_the_forms_need_a_session_and_their_csrf_token(client: TestClient, card: str) -> None:
    client.get(f"{SITE}/reload")
    for path, fields in (
        ("reload", {"card": card, "amount": "20.00"}),
        ("egift", {"amount": "25", "recipient_name": "G", "recipient_email": "g@example.com"}),
    ):
        forged = client.post(f"{SITE}/{path}", data=fields, follow_redirects=False)
        assert forged.status_code == 403, path
    assert count(client, payment_intents) == 0 and count(client, sale_orders) == 0
    client.cookies.delete("pxs_session", path=f"{SITE}/")
    for path in ("reload", "egift", "reload/done?ref=x", "egift/done?ref=x"):
        away = client.get(f"{SITE}/{path}", follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin", path


def egift(client: TestClient, **fields: str) -> Response:
    sent = {
        "amount": "25.00",
        "design": "BIRTHDAY",
        "recipient_name": "Grace",
        "recipient_email": "grace@example.com",
        "message": "Happy birthday!",
        **fields,
    }
    return submit(client, "egift", sent)


def test_an_egift_bought_is_emailed_to_its_recipient_once(client: TestClient, card: str) -> None:
    form = client.get(f"{SITE}/egift")
    assert form.status_code == 200 and "Happy Birthday" in form.text
    checkout = to_checkout(egift(client))
    back = pay(client, checkout).headers["location"]
    assert back.startswith(f"http://testserver{SITE}/egift/done?ref=")
    done = client.get(back)
    assert done.status_code == 200, done.text
    assert "Your eGift of 25.00 is on its way to grace@example.com." in done.text
    number = re.search(r"Order number: (S[A-Z0-9]{11})", done.text)
    assert number, done.text
    [mail] = outbox_messages(client)
    assert mail["recipient"] == "grace@example.com" and "Happy birthday!" in mail["body"]
    again = client.get(back)
    assert f"Order number: {number.group(1)}" in again.text
    assert count(client, outbox) == 1 and count(client, sale_orders) == 1
    assert count(client, payment_attempts) == 1
    # The purchaser's own card is not loaded: the value is the recipient's.
    assert sv_balance(client, card) in ("", "0.00")


def test_a_refused_egift_issues_nothing(client: TestClient, card: str) -> None:
    refused = pay(client, to_checkout(egift(client)), "tok_insufficient_funds")
    assert refused.status_code == 402
    done = client.get(back_link(refused))
    assert "eGift not bought" in done.text and "nothing was charged" in done.text
    assert count(client, outbox) == 0 and count(client, payment_attempts) == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"amount": "5.00"}, "Enter an amount within the limits shown."),
        ({"amount": "NaN"}, "Enter an amount within the limits shown."),
        ({"amount": "ten"}, "Enter an amount within the limits shown."),
        ({"amount": ""}, "Enter an amount within the limits shown."),
        ({"design": "NOPE"}, "Choose a design."),
        ({"recipient_email": "not-an-address"}, "Check the recipient"),
        ({"recipient_name": ""}, "Check the recipient"),
        ({"message": "x" * 251}, "Check the recipient"),
    ],
)
def test_the_egift_form_refuses_what_the_sale_rules_refuse(
    client: TestClient, card: str, fields: dict[str, str], problem: str
) -> None:
    reply = egift(client, **fields)
    assert reply.status_code == 400 and problem in reply.text
    assert count(client, sale_orders) == 0 and count(client, payment_intents) == 0


def test_another_guests_egift_return_page_is_refused(client: TestClient, card: str) -> None:
    back = pay(client, to_checkout(egift(client))).headers["location"]
    client.cookies.clear()
    enroll(client, "bob")
    assert submit(client, "signin", {"username": "bob", "password": PASSWORD}).status_code == 303
    assert client.get(back).status_code == 404
    assert count(client, outbox) == 0


def test_the_checkout_page_returns_only_to_a_web_address() -> None:
    def view(url: str | None) -> CheckoutView:
        return CheckoutView("pi_x", Decimal(1), "open", None, url)

    assert return_address(view("https://shop.example/done?ref=1")) == (
        "https://shop.example/done?ref=1"
    )
    assert return_address(view("/m/1000/guest/reload/done")) == "/m/1000/guest/reload/done"
    for bad in (None, "", "javascript:alert(1)", "//evil.example/x", "data:text/html,x", "x"):
        assert return_address(view(bad)) is None, bad


def test_what_the_merchant_does_not_sell_is_not_offered(client: TestClient, card: str) -> None:
    def no_sales(data: dict[str, Any]) -> None:
        data["payments"].pop("recharge")
        data["payments"]["sales"] = [s for s in data["payments"]["sales"] if s["type"] != "EGIFT"]

    with demo_program(client, no_sales):
        account = client.get(f"{SITE}/account").text
        assert "Reload a card" not in account and "Buy an eGift" not in account
        for path in ("reload", "egift"):
            reply = client.get(f"{SITE}/{path}")
            assert reply.status_code == 404 and "This is not offered" in reply.text, path
        assert reload(client, card).status_code == 404
        assert egift(client).status_code == 404
    assert count(client, payment_intents) == 0 and count(client, sale_orders) == 0


def test_an_apps_checkout_returns_to_its_return_url(client: TestClient, card: str) -> None:
    token = str(sign_in_api(client, "ada")["access_token"])

    def opened(return_url: str) -> str:
        request = as_guest(
            token, printedCardNumber=card, amount="12.00", purpose="RECHARGE", returnUrl=return_url
        )
        reply = body_of(gpost(client, "payment", "createCheckoutSession", request))
        assert reply["result"] == "success", reply
        return str(reply["url"])

    shop = "https://shop.example/paid?order=7"
    checkout = opened(shop)
    assert back_link(client.get(checkout)) == shop
    paid = pay(client, checkout)
    assert (paid.status_code, paid.headers["location"]) == (303, shop)
    # An address a page must not follow is neither linked nor followed.
    sneaky = opened("javascript:alert(1)")
    assert "Return to the shop" not in client.get(sneaky).text
    assert pay(client, sneaky).status_code == 200

"""The account page's wallet buttons, over HTTP: each card of the signed-in guest links
to its Apple pass download and its Save to Google Wallet link, made by the pass use
cases; another guest's card gets no pass; without passes configured there are no
buttons."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from google.auth import jwt
from sqlalchemy import func, select

from openpxs.store.tables import wallet_passes
from tests.api.guests import PASSWORD, enroll
from tests.api.pass_certs import PassCerts, apple_fixture, certs_fixture  # noqa: F401
from tests.api.pos import run_db
from tests.api.test_googlewallet import fake, google, key  # noqa: F401
from tests.program_config import program_editor
from tests.web.site import SITE, submit


@pytest.fixture
def card(client: TestClient) -> Iterator[str]:
    """Ada's card, with the browser signed in as her."""
    client.cookies.clear()
    number = str(enroll(client, "ada")["printedCardNumber"])
    assert submit(client, "signin", {"username": "ada", "password": PASSWORD}).status_code == 303
    yield number
    client.cookies.clear()


def passes(client: TestClient) -> int:
    async def work(conn: Any) -> int:
        return int((await conn.execute(select(func.count()).select_from(wallet_passes))).scalar())

    return int(run_db(client, work))


def test_the_apple_button_answers_the_cards_pass(
    client: TestClient, card: str, apple: PassCerts
) -> None:
    account = client.get(f"{SITE}/account").text
    link = f'href="{SITE}/wallet/apple?card={card}">Add to Apple Wallet</a>'
    assert link in account
    sent = client.get(f"{SITE}/wallet/apple?card={card}", follow_redirects=False)
    assert sent.status_code == 303
    target = urlsplit(sent.headers["location"])
    assert target.path.startswith("/passkit/download/") and target.query.startswith("token=")
    got = client.get(f"{target.path}?{target.query}")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/vnd.apple.pkpass"
    document = json.loads(zipfile.ZipFile(io.BytesIO(got.content)).read("pass.json"))
    assert document["barcodes"][0]["message"] == card
    # The same card keeps its pass.
    again = client.get(f"{SITE}/wallet/apple?card={card}", follow_redirects=False)
    assert again.headers["location"] == sent.headers["location"]


@pytest.mark.usefixtures("google")
def test_the_google_button_carries_the_cards_signed_object(client: TestClient, card: str) -> None:
    assert f'href="{SITE}/wallet/google?card={card}">Save to Google Wallet</a>' in (
        client.get(f"{SITE}/account").text
    )
    sent = client.get(f"{SITE}/wallet/google?card={card}", follow_redirects=False)
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert location.startswith("https://pay.google.com/gp/v/save/")
    claims = jwt.decode(location.rsplit("/", 1)[1], verify=False)
    assert claims["typ"] == "savetowallet" and claims["origins"] == ["http://testserver"]
    [made] = claims["payload"]["loyaltyObjects"]
    assert made["accountId"] == card


@pytest.mark.usefixtures("apple", "google")
def test_another_guests_card_gets_no_pass(client: TestClient, card: str) -> None:
    client.cookies.clear()
    enroll(client, "bob")
    assert submit(client, "signin", {"username": "bob", "password": PASSWORD}).status_code == 303
    assert card not in client.get(f"{SITE}/account").text
    for kind in ("apple", "google"):
        for number in (card, "6999999999999999", ""):
            reply = client.get(f"{SITE}/wallet/{kind}?card={number}", follow_redirects=False)
            assert reply.status_code == 404, (kind, number)
            assert "There is no wallet pass for that card." in reply.text
    assert passes(client) == 0
    client.cookies.delete("pxs_session", path=f"{SITE}/")
    away = client.get(f"{SITE}/wallet/apple?card={card}", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin"


def test_no_buttons_without_passes(client: TestClient, card: str) -> None:
    with program_editor(client) as change:
        change(lambda data: data.pop("wallet_passes", None))
        account = client.get(f"{SITE}/account").text
        assert f"Card {card}" in account
        assert "Apple Wallet" not in account and "Google Wallet" not in account
        reply = client.get(f"{SITE}/wallet/apple?card={card}", follow_redirects=False)
        assert reply.status_code == 404

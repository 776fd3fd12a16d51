"""The mobile-app flow against a real `openpxs demo` process, over plain HTTP.

enrollmentConfig, createAndRegister, a taken username, an invalid e-mail, signing in as
the demo guest, reading user and account (oauth and card styles), history, editing,
refreshing, a b2b lookup, an unknown user and a password reset request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import database_kind
from tests.e2e.server import free_port, start

APP = ("demo-app", "demo-app-secret")
POS = ("demo-pos", "demo-pos-secret")
DEMO_CARD = "7000000000000001"


@pytest.fixture
def demo_server(tmp_path: Path, database_url: str, client: object) -> Iterator[str]:
    # `client` empties the session database first, for the PostgreSQL pass.
    url = database_url if database_kind() == "postgresql" else f"sqlite:///{tmp_path / 'g.db'}"
    port = free_port()
    server = start(["demo", "--database", url], tmp_path / "server.log", port)
    try:
        yield f"http://127.0.0.1:{port}/rest/24.11/"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_mobile_app_flow_against_the_demo_server(demo_server: str) -> None:
    http = httpx.Client(base_url=demo_server, timeout=30)

    def get(path: str, auth: tuple[str, str] = APP, **params: Any) -> dict[str, Any]:
        reply = http.get(path, params={"merchantId": 1000, **params}, auth=auth)
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def post(path: str, auth: tuple[str, str] = APP, **body: Any) -> dict[str, Any]:
        reply = http.post(path, json={"merchantId": 1000, **body}, auth=auth)
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    config = get("enrollment/enrollmentConfig.json", cardTemplateCode=1)
    fields = {f["field"]: f for f in config["config"]["fields"]}
    assert fields["password"]["minLength"] == 8
    assert {"username", "firstName", "lastName", "email", "dateOfBirth"} <= set(fields)

    def register(username: str, email: str) -> dict[str, Any]:
        return post(
            "enrollment/createAndRegister.json",
            authentication="anonymous",
            cardTemplateCode=1,
            activationStoreCode="corp",
            enforceUniqueFields=["username", "email"],
            setUserFields={
                "style": "typed",
                "username": [username],
                "password": ["Wonderful42!"],
                "firstName": ["Grace"],
                "lastName": ["Hopper"],
                "email": [email],
                "optIn": True,
            },
            setAccountFields={"style": "typed"},
        )

    created = register("grace", "grace@example.com")
    assert created["result"] == "cardCreatedSuccess"
    assert created["oauthTokens"]["access_token"] and created["printedCardNumber"]
    assert register("grace", "grace2@example.com")["result"] == "uniquenessConflict"
    invalid = register("hopper", "not an e-mail")
    assert invalid["result"] == "failure"
    assert "setUserFields/email" in invalid["errorsByField"]

    signed_in = post(
        "oauth/requestGuestToken.json",
        authentication="anonymous",
        grant_type="password",
        username="demo",
        password="DemoPass123!",
    )
    token = signed_in["access_token"]
    assert signed_in["expires_in"] == 1800 and signed_in["username"] == "demo"

    user = get("guest/userInformation.json", authentication="oauth", access_token=token)
    assert user["fields"]["email"] == "demo@example.com"
    assert user["primaryCardNumbers"] == [DEMO_CARD]

    account = get(
        "guest/accountInformation.json",
        authentication="oauth",
        access_token=token,
        printedCardNumber=DEMO_CARD,
    )
    points = {b["walletCode"]: b["balance"] for b in account["pointBalances"]}
    assert account["result"] == "success" and points[2] == "120"
    by_card = get(
        "guest/accountInformation.json",
        authentication="card",
        printedCardNumber=DEMO_CARD,
        registrationCode="1234",
    )
    assert by_card["username"] == "demo" and by_card["registrationStatus"] == "REGISTERED"

    history = get(
        "guest/transactionHistory.json",
        authentication="oauth",
        access_token=token,
        printedCardNumber=DEMO_CARD,
    )
    assert len(history["transactions"]) >= 4
    assert history["walletInfo"][0]["walletCode"] == 2

    edited = post(
        "enrollment/editAccount.json",
        authentication="oauth",
        access_token=token,
        printedCardNumber=DEMO_CARD,
        setUserFields={"style": "string", "firstName": ["Dee"], "optIn": ["false"]},
    )
    assert edited["result"] == "success"

    refreshed = post(
        "oauth/requestGuestToken.json",
        grant_type="refresh_token",
        refresh_token=signed_in["refresh_token"],
    )
    assert refreshed["access_token"] != token

    b2b_view = get("guest/userInformation.json", auth=POS, authentication="b2b", username="demo")
    assert b2b_view["fields"]["firstName"] == "Dee" and b2b_view["fields"]["optIn"] is False
    unknown = get("guest/userInformation.json", auth=POS, authentication="b2b", username="nope")
    assert unknown["errorCode"] == "user_info.not_found"

    reset = post(
        "guestmanagement/generateAndSendGuestResetPasswordCode.json",
        authentication="anonymous",
        username="demo",
    )
    # The app's credential is public: the reply names no address for a username.
    assert reset == {"result": "success"}
    by_address = post(
        "guestmanagement/generateAndSendGuestResetPasswordCode.json",
        authentication="anonymous",
        email="demo@example.com",
    )
    assert by_address == {"result": "success", "email": "d***@example.com"}

"""Google Wallet Service (googlewallet.yaml): the loyalty object, the signed Save to
Google Wallet token, and object updates after a balance change through a local API."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from google.auth import jwt

from openpxs.messaging import OutgoingMessage
from openpxs.messaging.wallet_push import GoogleWalletTransport
from openpxs.services.wallet_passes import sweep
from openpxs.store.uow import unit_of_work
from tests.api.guests import as_guest, body_of, enroll, gpost, sign_in
from tests.api.pos import GIFT, LOYALTY, POS, activate, add_redeem, ok, sv
from tests.fakes.google_wallet import FakeGoogleWallet
from tests.program_config import program_editor

ISSUER = "3388000000012345678"
EMAIL = "wallet@openpxs-test.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(key: rsa.RSAPrivateKey) -> Iterator[FakeGoogleWallet]:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    server = FakeGoogleWallet(public)
    yield server
    server.close()


@pytest.fixture
def google(
    client: TestClient, key: rsa.RSAPrivateKey, fake: FakeGoogleWallet, tmp_path: Path
) -> Iterator[FakeGoogleWallet]:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": EMAIL,
                "private_key_id": "test-key-1",
                "private_key": pem,
                "token_uri": f"{fake.url}/token",
            }
        )
    )
    section = {
        "issuer_id": ISSUER,
        "class_suffix": "demo_loyalty",
        "service_account_key_file": str(key_file),
        "api_url": fake.url,
        "theme": "light",
    }
    with program_editor(client) as change:
        change(lambda data: data.setdefault("wallet_passes", {}).update(google=section))
        yield fake


def call(client: TestClient, operation: str, **params: Any) -> dict[str, Any]:
    body = {"authentication": "b2b", **params}
    return body_of(gpost(client, "googlewallet", operation, body, auth=POS))


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def rs256_claims(token: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The token's claims once its RS256 signature checks out with ``key``'s public half
    (a save token has no exp, which google.auth.jwt.decode insists on)."""
    head, body, signature = token.split(".")
    key.public_key().verify(
        _unb64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    claims: dict[str, Any] = json.loads(_unb64(body))
    return claims


def test_the_save_token_is_signed_by_the_service_account(
    client: TestClient, google: FakeGoogleWallet, key: rsa.RSAPrivateKey
) -> None:
    activate(client, LOYALTY)
    ok(add_redeem(client, LOYALTY, add=sv("12", wallet=2), program="LP"))
    reply = call(
        client, "generateSaveToAndroidPayJWT", printedCardNumber=LOYALTY, url="https://shop.example"
    )
    assert reply["result"] == "success", reply
    assert (reply["theme"], reply["size"]) == ("light", "standard")
    header = jwt.decode_header(reply["jwt"])  # type: ignore[no-untyped-call]
    assert header["alg"] == "RS256"
    claims = rs256_claims(reply["jwt"], key)
    assert claims["aud"] == "google"
    assert claims["iss"] == EMAIL
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://shop.example"]
    (loyalty,) = claims["payload"]["loyaltyObjects"]
    assert loyalty["id"] == reply["code"] and reply["code"].startswith(f"{ISSUER}.")
    assert loyalty["classId"] == f"{ISSUER}.demo_loyalty"
    assert loyalty["barcode"]["value"] == LOYALTY
    described = call(client, "generateSaveToAndroidPayLoyaltyObject", printedCardNumber=LOYALTY)
    assert described["objectId"] == reply["code"]  # the card keeps its object
    assert described["classId"] == f"{ISSUER}.demo_loyalty"
    assert (described["barcodeType"], described["barcodeValue"]) == ("QR_CODE", LOYALTY)
    assert described["accountId"] == LOYALTY
    assert "loyaltyPoints" in described


def test_refusals(client: TestClient, google: FakeGoogleWallet) -> None:
    unknown = call(client, "generateSaveToAndroidPayLoyaltyObject", printedCardNumber="7999999")
    assert unknown["errorCode"] == "googlewallet.invalid_card"
    activate(client, LOYALTY)
    no_url = call(client, "generateSaveToAndroidPayJWT", printedCardNumber=LOYALTY)
    assert no_url["errorCode"] == "googlewallet.system_error"
    card = enroll(client, "ada")["printedCardNumber"]
    token = sign_in(client, "ada")["access_token"]
    mine = gpost(
        client,
        "googlewallet",
        "generateSaveToAndroidPayLoyaltyObject",
        as_guest(token, printedCardNumber=card),
    )
    assert body_of(mine)["result"] == "success"
    activate(client, GIFT)
    theirs = gpost(
        client,
        "googlewallet",
        "generateSaveToAndroidPayLoyaltyObject",
        as_guest(token, printedCardNumber=GIFT),
    )
    assert body_of(theirs)["errorCode"] == "googlewallet.invalid_card"


def test_a_merchant_without_google_wallet_is_not_configured(client: TestClient) -> None:
    activate(client, LOYALTY)
    with program_editor(client) as change:
        change(lambda data: data["wallet_passes"].pop("google"))
        reply = call(client, "generateSaveToAndroidPayLoyaltyObject", printedCardNumber=LOYALTY)
    assert reply["errorCode"] == "googlewallet.not_configured"


@pytest.mark.usefixtures("quiet_worker")
def test_a_balance_change_updates_the_saved_object(
    client: TestClient, google: FakeGoogleWallet
) -> None:
    activate(client, LOYALTY)
    object_id = call(client, "generateSaveToAndroidPayLoyaltyObject", printedCardNumber=LOYALTY)[
        "objectId"
    ]
    google.saved[object_id] = {"id": object_id}
    ok(add_redeem(client, LOYALTY, add=sv("25", wallet=2), program="LP"))
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    transport = GoogleWalletTransport(runtime.engine)

    async def go() -> list[OutgoingMessage]:
        async with unit_of_work(runtime.engine) as uow:
            await sweep(uow, runtime.clock.now())
            queued = await uow.outbox.claim_due(
                now=runtime.clock.now(), lease_until=runtime.clock.now(), limit=50
            )
        updates = [m for m in queued if m.channel == "google_wallet"]
        for message in updates:
            await transport.send(message)
        await transport.close()
        return updates

    assert client.portal is not None
    updates = client.portal.call(go)
    assert [m.recipient for m in updates] == [object_id]
    assert google.patches[-1][0] == object_id
    points = google.saved[object_id]["loyaltyPoints"]
    assert points["balance"] == {"int": 25}
    assert google.assertions[0]["iss"] == EMAIL
    assert google.tokens_issued == 1

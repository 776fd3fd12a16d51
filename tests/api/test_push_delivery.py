"""Pushes from the outbox to APNs and FCM, against local HTTP/2 servers that answer as
Apple's and Google's do: provider tokens are made once and reused, an unregistered
token is forgotten, a bad one is given up at once, an outage is retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.clock import ShiftedClock
from openpxs.integrations.apns import ApnsClient
from openpxs.integrations.push import PushRejected, PushUnavailable, TokenUnregistered
from openpxs.messaging import (
    LogTransport,
    RoutingTransport,
    deliver_everything_due,
    transport_from_settings,
)
from openpxs.messaging.push import ApnsTransport, FcmTransport
from openpxs.services.push_devices import enqueue_push
from openpxs.settings import Settings
from openpxs.store.tables import outbox, push_devices
from openpxs.store.uow import unit_of_work
from tests.api.guests import b2b, body_of, enroll, gpost
from tests.api.pos import POS
from tests.fakes.apns import FakeApns, fake_apns
from tests.fakes.fcm import FakeFcm, fake_fcm
from tests.fakes.h2server import Pki, make_pki

GOOD, GONE, BAD = "a1" * 32, "b2" * 32, "c3" * 32
TOPIC = "com.openpxs.demo"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def apns_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def p8(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def apns(pki: Pki, apns_key: ec.EllipticCurvePrivateKey) -> Iterator[FakeApns]:
    with fake_apns(pki, public_key=apns_key.public_key()) as server:
        yield server


def token_client(
    server: FakeApns, pki: Pki, key: ec.EllipticCurvePrivateKey, **options: Any
) -> ApnsClient:
    return ApnsClient(
        base_url=server.base_url,
        team_id=server.team_id,
        key_id=server.key_id,
        private_key=p8(key),
        ca_file=str(pki.ca_file),
        **options,
    )


def run(client: TestClient, work: Any) -> Any:
    engine: AsyncEngine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    return client.portal.call(work, engine)


async def _outbox_and_tokens(engine: Any) -> tuple[list[Any], list[str]]:
    """Each message's recipient, attempts, sent, given up and last error; the tokens left."""
    async with engine.begin() as conn:
        rows = list(
            await conn.execute(
                select(
                    outbox.c.recipient,
                    outbox.c.attempts,
                    outbox.c.sent_at.is_not(None),
                    outbox.c.failed_at.is_not(None),
                    outbox.c.last_error,
                ).order_by(outbox.c.id)
            )
        )
        left = [r.token for r in await conn.execute(select(push_devices.c.token))]
    return rows, left


def test_apns_token_auth_is_http2_and_its_provider_token_is_reused(
    client: TestClient, apns: FakeApns, pki: Pki, apns_key: ec.EllipticCurvePrivateKey
) -> None:
    now = [1_000_000.0]
    apns_client = token_client(apns, pki, apns_key, clock=lambda: now[0])

    async def sends(engine: AsyncEngine) -> list[Any]:
        outcomes: list[Any] = []
        try:
            payload = {"aps": {"alert": {"title": "Hi", "body": "10 points"}}}
            outcomes.append(await apns_client.send(GOOD, TOPIC, payload))
            now[0] += 49 * 60
            outcomes.append(await apns_client.send(GOOD, TOPIC, payload))
            now[0] += 2 * 60  # past 50 minutes: a new provider token
            outcomes.append(await apns_client.send(GOOD, TOPIC, payload))
            apns.unregistered.add(GONE)
            for token in (GONE, "not-a-token"):
                try:
                    await apns_client.send(token, TOPIC, payload)
                except (TokenUnregistered, PushRejected) as exc:
                    outcomes.append(exc)
            apns.down = True
            try:
                await apns_client.send(GOOD, TOPIC, payload)
            except PushUnavailable as exc:
                outcomes.append(exc)
        finally:
            await apns_client.aclose()
        return outcomes

    first, second, third, gone, bad, down = run(client, sends)
    assert all(isinstance(apns_id, str) and apns_id for apns_id in (first, second, third))
    assert isinstance(gone, TokenUnregistered) and "410 Unregistered" in str(gone)
    assert isinstance(bad, PushRejected) and "400 BadDeviceToken" in str(bad)
    assert isinstance(down, PushUnavailable) and "503" in str(down)
    # Every request went over HTTP/2, with Apple's headers and the JSON payload.
    assert {r["http_version"] for r in apns.requests} == {"2"}
    assert apns.requests[0]["headers"]["apns-topic"] == TOPIC
    assert apns.requests[0]["headers"]["apns-push-type"] == "alert"
    assert apns.requests[0]["payload"] == {"aps": {"alert": {"title": "Hi", "body": "10 points"}}}
    # One provider token for the first two sends, a second one after 50 minutes.
    assert apns_client.tokens_made == 2 and len(apns.provider_tokens) == 2


def test_apns_certificate_auth_presents_the_client_certificate(
    client: TestClient, pki: Pki, apns_key: ec.EllipticCurvePrivateKey
) -> None:
    with fake_apns(pki, certificate_auth=True) as server:
        with_cert = ApnsClient(
            base_url=server.base_url,
            cert_file=str(pki.client_cert),
            key_file=str(pki.client_key),
            ca_file=str(pki.ca_file),
        )
        without = token_client(server, pki, apns_key)

        async def sends(engine: AsyncEngine) -> tuple[Any, Any]:
            try:
                sent = await with_cert.send(
                    GOOD, "pass.com.openpxs.demo", {}, push_type="background"
                )
                try:
                    await without.send(GOOD, "pass.com.openpxs.demo", {})
                except PushUnavailable as exc:
                    return sent, exc
                return sent, None
            finally:
                await with_cert.aclose()
                await without.aclose()

        sent, refused = run(client, sends)
    assert sent and with_cert.uses_certificate
    # The server asks for a client certificate: a client without one cannot connect.
    assert isinstance(refused, PushUnavailable)
    [request] = server.requests
    assert request["headers"]["apns-topic"] == "pass.com.openpxs.demo"
    assert "authorization" not in request["headers"]


def test_the_worker_pushes_forgets_unregistered_tokens_and_gives_up_bad_ones(
    client: TestClient,
    clock: ShiftedClock,
    apns: FakeApns,
    pki: Pki,
    apns_key: ec.EllipticCurvePrivateKey,
) -> None:
    reply = enroll(client, "ada")
    for token in (GOOD, GONE, BAD):
        body = {
            **b2b(),
            "printedCardNumber": reply["printedCardNumber"],
            "externalAccount": {"externalIdentifier": TOPIC, "accountCode": token},
        }
        assert (
            body_of(gpost(client, "pushmessaging", "registerIosDevice", body, auth=POS))["result"]
            == "success"
        )
    apns.unregistered.add(GONE)
    apns.bad.add(BAD)
    transport = RoutingTransport(
        email=LogTransport(),
        sms=LogTransport(),
        apns=ApnsTransport(token_client(apns, pki, apns_key)),
    )
    now: datetime = clock.now()

    async def push_and_deliver(engine: AsyncEngine) -> tuple[int, int, list[Any], list[Any]]:
        async with unit_of_work(engine) as uow:
            queued = await enqueue_push(
                uow,
                1000,
                reply["accountId"],
                title="Double points",
                body="Today only",
                data={"campaign": "DOUBLE"},
                now=now,
            )
        try:
            sent = await deliver_everything_due(engine, transport, now)
        finally:
            await transport.aclose()
        rows, left = await _outbox_and_tokens(engine)
        return queued, sent, rows, left

    queued, sent, rows, left = run(client, push_and_deliver)
    assert (queued, sent) == (3, 1)
    by_token = {r[0]: r[1:] for r in rows}
    assert by_token[GOOD][:3] == (0, True, False)
    # Unregistered: given up at once and the token forgotten; bad: given up at once.
    assert by_token[GONE][:3] == (1, False, True) and "Unregistered" in by_token[GONE][3]
    assert by_token[BAD][:3] == (1, False, True) and "BadDeviceToken" in by_token[BAD][3]
    assert sorted(left) == sorted([GOOD, BAD])
    [delivered] = [r for r in apns.requests if r["token"] == GOOD]
    assert delivered["payload"] == {
        "aps": {"alert": {"title": "Double points", "body": "Today only"}},
        "campaign": "DOUBLE",
    }


def test_an_apns_outage_is_retried_later(
    client: TestClient,
    clock: ShiftedClock,
    apns: FakeApns,
    pki: Pki,
    apns_key: ec.EllipticCurvePrivateKey,
    tmp_path: Path,
) -> None:
    apns.down = True
    transport = ApnsTransport(token_client(apns, pki, apns_key))
    now = clock.now()

    async def go(engine: AsyncEngine) -> Any:
        from openpxs.messaging import enqueue

        async with unit_of_work(engine) as uow:
            await enqueue(
                uow,
                merchant_id=1000,
                channel="apns",
                recipient=GOOD,
                subject=TOPIC,
                body='{"title":"Hi","body":"There","data":{}}',
                now=now,
            )
        try:
            await deliver_everything_due(engine, transport, now)
        finally:
            await transport.aclose()
        async with engine.begin() as conn:
            return (
                await conn.execute(
                    select(outbox.c.attempts, outbox.c.failed_at, outbox.c.next_attempt_at)
                )
            ).one()

    attempts, failed_at, next_attempt_at = run(client, go)
    assert attempts == 1 and failed_at is None and next_attempt_at > now


# --- FCM ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service_account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fcm_settings(fcm: FakeFcm, key: rsa.RSAPrivateKey, pki: Pki, folder: Path) -> Settings:
    """Settings sending pushes to ``fcm`` with the service account's key file as the
    Firebase console gives it."""
    key_file = folder / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": fcm.project_id,
                "private_key_id": "k1",
                "private_key": key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                "client_email": fcm.client_email,
            }
        )
    )
    return Settings(
        fcm_credentials_file=str(key_file),
        fcm_base_url=fcm.base_url,
        fcm_token_url=fcm.token_url,
        push_ca_file=str(pki.ca_file),
    )


def register(client: TestClient, card: str, platform: str, token: str) -> None:
    body = {
        **b2b(),
        "printedCardNumber": card,
        "externalAccount": {"externalIdentifier": TOPIC, "accountCode": token},
    }
    operation = "registerIosDevice" if platform == "ios" else "registerAndroidDevice"
    reply = body_of(gpost(client, "pushmessaging", operation, body, auth=POS))
    assert reply["result"] == "success", reply


def test_fcm_fetches_one_access_token_and_the_worker_forgets_unregistered_tokens(
    client: TestClient,
    clock: ShiftedClock,
    pki: Pki,
    service_account_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    reply = enroll(client, "ada")
    tokens = {name: f"{name}-fcm-token:APA91b{'x' * 30}" for name in ("good", "gone", "bad")}
    with fake_fcm(pki, service_account_key.public_key()) as fcm:
        transport = transport_from_settings(fcm_settings(fcm, service_account_key, pki, tmp_path))
        assert isinstance(transport, RoutingTransport) and isinstance(transport.fcm, FcmTransport)
        for token in tokens.values():
            body = {
                **b2b(),
                "printedCardNumber": reply["printedCardNumber"],
                "externalAccount": {"externalIdentifier": TOPIC, "accountCode": token},
            }
            assert (
                body_of(gpost(client, "pushmessaging", "registerAndroidDevice", body, auth=POS))[
                    "result"
                ]
                == "success"
            )
        fcm.unregistered.add(tokens["gone"])
        fcm.invalid.add(tokens["bad"])
        now = clock.now()

        async def go(engine: AsyncEngine) -> tuple[int, list[Any], list[str], Any]:
            async with unit_of_work(engine) as uow:
                await enqueue_push(
                    uow,
                    1000,
                    reply["accountId"],
                    title="Double points",
                    body="Today only",
                    data={"campaign": "DOUBLE"},
                    now=now,
                )
            try:
                sent = await deliver_everything_due(engine, transport, now)
                # An outage is a failure to try again (the worker retries it later).
                fcm.down = True
                outage: Any = None
                try:
                    await transport.fcm.client.send(tokens["good"], data={"n": "1"})
                except PushUnavailable as exc:
                    outage = exc
            finally:
                await transport.aclose()
            rows, left = await _outbox_and_tokens(engine)
            return sent, rows, left, outage

        sent, rows, left, outage = run(client, go)
    assert sent == 1
    assert isinstance(outage, PushUnavailable) and "503" in str(outage)
    by_token = {r[0]: r[1:] for r in rows}
    assert by_token[tokens["good"]][:3] == (0, True, False)
    assert by_token[tokens["gone"]][:3] == (1, False, True)
    assert "404 UNREGISTERED" in by_token[tokens["gone"]][3]
    assert by_token[tokens["bad"]][:3] == (1, False, True)
    assert sorted(left) == sorted([tokens["good"], tokens["bad"]])
    # One access token for every send, all over HTTP/2.
    assert len(fcm.access_tokens) == 1 and fcm.http_versions == {"2"}
    good = next(m for m in fcm.messages if m["token"] == tokens["good"])
    assert good["notification"] == {"title": "Double points", "body": "Today only"}
    assert good["data"] == {"campaign": "DOUBLE"}


# --- Campaigns ---------------------------------------------------------------------------


# The test delivers the pushes itself: the server's worker would send them to its log.
@pytest.mark.usefixtures("quiet_worker")
def test_a_marketing_push_reaches_every_phone_of_the_guest(
    client: TestClient,
    clock: ShiftedClock,
    apns: FakeApns,
    pki: Pki,
    apns_key: ec.EllipticCurvePrivateKey,
    service_account_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    guest = enroll(client, "ada")
    card = guest["printedCardNumber"]
    android = f"ada-fcm-token:APA91b{'y' * 30}"
    register(client, card, "ios", GOOD)
    register(client, card, "android", android)
    request = b2b(
        printedCardNumber=card,
        campaignMessageTemplateCode=501,
        deliveryMethod="push",
        replacementParams={"day": "Saturday", "store": "Downtown"},
    )
    reply = gpost(client, "messaging", "sendMarketingMessageByPrintedCardNumber", request, POS)
    assert body_of(reply) == {"result": "success"}
    with fake_fcm(pki, service_account_key.public_key()) as fcm:
        routed = transport_from_settings(fcm_settings(fcm, service_account_key, pki, tmp_path))
        assert isinstance(routed, RoutingTransport)
        transport = RoutingTransport(
            email=LogTransport(),
            sms=LogTransport(),
            apns=ApnsTransport(token_client(apns, pki, apns_key)),
            fcm=routed.fcm,
        )

        async def go(engine: AsyncEngine) -> int:
            try:
                return await deliver_everything_due(engine, transport, clock.now())
            finally:
                await transport.aclose()

        assert run(client, go) == 2
    text = "Double points at OpenPXS Demo Grill this Saturday, at Downtown."
    [iphone] = [r for r in apns.requests if r["token"] == GOOD]
    assert iphone["headers"]["apns-topic"] == TOPIC
    assert iphone["payload"] == {
        "aps": {"alert": {"title": "Ada, double points this Saturday", "body": text}},
        "campaignMessageTemplateCode": "501",
    }
    [phone] = fcm.messages
    assert phone["token"] == android
    assert phone["notification"] == {"title": "Ada, double points this Saturday", "body": text}
    assert phone["data"] == {"campaignMessageTemplateCode": "501"}


def test_a_marketing_push_to_a_guest_without_a_phone_is_refused_and_queues_nothing(
    client: TestClient,
) -> None:
    guest = enroll(client, "ada")
    request = b2b(
        accountId=guest["accountId"],
        campaignMessageTemplateCode=501,
        deliveryMethod="PUSH",
        replacementParams={},
    )
    reply = body_of(gpost(client, "messaging", "sendMarketingMessageByAccountId", request, POS))
    assert (reply["result"], reply["errorCode"]) == ("failure", "messaging.no_push_device")

    async def pushes(engine: AsyncEngine) -> list[Any]:
        async with engine.begin() as conn:
            query = select(outbox.c.channel).where(outbox.c.channel.in_(["apns", "fcm"]))
            return list(await conn.execute(query))

    assert run(client, pushes) == []

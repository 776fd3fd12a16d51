"""Pass-update pushes: a balance change queues exactly one push per registered device,
and the APNs client delivers it over HTTP/2 with the pass certificate to a local APNs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.integrations.apns import ApnsClient
from openpxs.integrations.push import PushRejected, TokenUnregistered
from openpxs.messaging import LogTransport, deliver_everything_due
from openpxs.messaging.transports import ChannelTransport
from openpxs.messaging.wallet_push import PassUpdateTransport
from openpxs.services.wallet_passes import sweep
from openpxs.store.tables import outbox
from openpxs.store.uow import unit_of_work
from tests.api.pass_certs import (  # noqa: F401
    PASS_TYPE,
    PassCerts,
    apple_fixture,
    apple_section,
    certs_fixture,
)
from tests.api.pos import LOYALTY, add_redeem, ok, run_db, sv
from tests.api.test_passkit import auth, issued, registration
from tests.fakes.apns_passes import FakeApns
from tests.program_config import program_editor


@pytest.fixture
def apns(certs: PassCerts, tmp_path: Path) -> Iterator[FakeApns]:
    clients = tmp_path / "clients.pem"
    clients.write_bytes(certs.wwdr.read_bytes() + certs.root.read_bytes())
    fake = FakeApns(str(certs.server), str(certs.server_key), str(clients))
    yield fake
    fake.close()


def swept(client: TestClient) -> int:
    """Run a sweep now, as the outbox worker does every poll."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]

    async def go() -> int:
        async with unit_of_work(runtime.engine) as uow:
            return await sweep(uow, runtime.clock.now())

    assert client.portal is not None
    return int(client.portal.call(go))


def pass_updates(client: TestClient) -> list[tuple[str, str | None, str]]:
    async def read(conn: Any) -> list[tuple[str, str | None, str]]:
        rows = await conn.execute(
            select(outbox.c.recipient, outbox.c.subject, outbox.c.body).where(
                outbox.c.channel == "pass_update"
            )
        )
        return [tuple(r) for r in rows]

    return list(run_db(client, read))


@pytest.mark.usefixtures("quiet_worker")
def test_a_balance_change_queues_one_push_per_registered_device(
    client: TestClient, apple: PassCerts
) -> None:
    serial, token = issued(client)
    for device, push in (("device-one", "token-one"), ("device-two", "token-two")):
        made = client.post(
            registration(serial, device), json={"pushToken": push}, headers=auth(token)
        )
        assert made.status_code == 201
    assert swept(client) == 0  # nothing changed since the pass was made
    ok(add_redeem(client, LOYALTY, add=sv("10", wallet=2), program="LP"))
    assert swept(client) == 2
    assert swept(client) == 0  # the change is pushed once
    assert sorted(pass_updates(client)) == [
        ("token-one", PASS_TYPE, "{}"),
        ("token-two", PASS_TYPE, "{}"),
    ]
    # The device then finds the pass among the updated ones.
    listed = client.get(f"/passkit/v1/devices/device-one/registrations/{PASS_TYPE}")
    assert listed.json()["serialNumbers"] == [serial]


def test_the_push_goes_over_http2_with_the_pass_certificate(
    certs: PassCerts, apns: FakeApns
) -> None:
    apns.unregistered.add("gone")
    apns.bad.add("bad")

    async def go() -> list[str | None]:
        client = ApnsClient(
            cert_file=str(certs.certificate),
            key_file=str(certs.key),
            base_url=apns.url,
            ca_file=str(certs.root),
        )
        try:
            sent = [await client.send("abc123", PASS_TYPE, {}, push_type=None)]
            with pytest.raises(TokenUnregistered):
                await client.send("gone", PASS_TYPE, {}, push_type=None)
            with pytest.raises(PushRejected, match="400 BadDeviceToken"):
                await client.send("bad", PASS_TYPE, {}, push_type=None)
            with pytest.raises(PushRejected, match="403 TopicDisallowed"):
                await client.send("abc123", "pass.someone.else", {}, push_type=None)
            with pytest.raises(PushRejected, match="not a device push token"):
                await client.send("../3/device/x", PASS_TYPE, {}, push_type=None)
            return sent
        finally:
            await client.aclose()

    (apns_id,) = asyncio.run(go())
    assert apns_id  # the id APNs gave the accepted push
    first = apns.received[0]
    assert first.path == "/3/device/abc123"
    assert first.headers[":method"] == "POST"
    assert first.headers["apns-topic"] == PASS_TYPE
    assert first.body == b"{}"
    assert "apns-push-type" not in first.headers  # a pass update is no alert
    assert PASS_TYPE in first.client_subject


@pytest.mark.usefixtures("quiet_worker")
def test_the_outbox_delivers_the_push_with_the_merchants_certificate(
    client: TestClient, certs: PassCerts, apns: FakeApns
) -> None:
    section = {**apple_section(certs), "push_url": apns.url}
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    pushes = PassUpdateTransport(runtime.engine, ca_file=str(certs.root))
    transport = ChannelTransport(LogTransport(), {"pass_update": pushes})

    async def deliver() -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.engine) as uow:
            await sweep(uow, now)
        sent = await deliver_everything_due(runtime.engine, transport, now)
        await pushes.close()
        return sent

    with program_editor(client) as change:
        change(lambda data: data.setdefault("wallet_passes", {}).update(apple=section))
        serial, token = issued(client)
        made = client.post(
            registration(serial), json={"pushToken": "devtoken1"}, headers=auth(token)
        )
        assert made.status_code == 201
        ok(add_redeem(client, LOYALTY, add=sv("10", wallet=2), program="LP"))
        assert client.portal is not None
        assert client.portal.call(deliver) >= 1
    assert [(r.path, r.headers["apns-topic"]) for r in apns.received] == [
        ("/3/device/devtoken1", PASS_TYPE)
    ]

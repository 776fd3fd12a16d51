"""Delivery through the application's own worker, and e-mail through a real SMTP server.

The SMTP server is aiosmtpd on a free local port, run in a thread of its own; each
application here has a SQLite file of its own, so its worker sees only its messages.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.app import create_app
from openpxs.messaging import (
    DeliveryError,
    LogTransport,
    OutgoingMessage,
    RoutingTransport,
    SmtpTransport,
    deliver_due,
    enqueue,
    log_transport,
)
from openpxs.settings import Settings
from openpxs.store.db import create_engine, migrate
from openpxs.store.tables import outbox
from openpxs.store.uow import UnitOfWork

PASSWORD = "relay-secret-9f2c"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class Inbox:
    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.mail_from is not None and envelope.original_content is not None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.original_content),
            )
        )
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
        if ok:
            self.logins.append(data.login.decode())
        # handled=False: aiosmtpd itself answers a refusal with 535.
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=free_port())
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def email(body: str = "Your code is 246810", recipient: str = "dana@example.com") -> Any:
    return OutgoingMessage(
        id=41,
        merchant_id=1000,
        channel="email",
        recipient=recipient,
        subject="Verify your e-mail",
        body=body,
    )


def test_smtp_transport_delivers_to_a_real_server(inbox: Inbox) -> None:
    transport = SmtpTransport(
        host="127.0.0.1",
        port=inbox.port,
        username="openpxs",
        password=PASSWORD,
        from_address="Demo Coffee <guests@demo.example>",
        timeout=5,
    )
    asyncio.run(transport.send(email()))
    [got] = inbox.received
    assert got.sender == "guests@demo.example"
    assert got.recipients == ["dana@example.com"]
    assert got.message["To"] == "dana@example.com"
    assert got.message["Subject"] == "Verify your e-mail"
    assert got.message["From"] == "Demo Coffee <guests@demo.example>"
    assert got.message["Message-ID"] == "<outbox-1000-41@demo.example>"
    payload = got.message.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode().strip() == "Your code is 246810"
    assert inbox.logins == ["openpxs"]


def test_smtp_failures_name_no_password(inbox: Inbox) -> None:
    wrong = SmtpTransport(
        host="127.0.0.1", port=inbox.port, username="openpxs", password="not-" + PASSWORD
    )
    with pytest.raises(DeliveryError) as refused:
        asyncio.run(wrong.send(email()))
    assert "SMTPAuthenticationError" in str(refused.value)
    assert PASSWORD not in str(refused.value) and refused.value.__cause__ is None

    # Nothing listens on this port: the connection is refused at once.
    closed = SmtpTransport(host="127.0.0.1", port=free_port(), password=PASSWORD, timeout=2)
    with pytest.raises(DeliveryError, match="SMTPConnect"):
        asyncio.run(closed.send(email()))
    assert inbox.received == []


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def enqueue_through(client: TestClient, *messages: tuple[str, str, str]) -> list[int]:
    """Commit messages on the application's own engine, as a service call would."""

    async def go() -> list[int]:
        ids = []
        async with client.app.state.runtime.engine.begin() as conn:  # type: ignore[attr-defined]
            for channel, recipient, body in messages:
                ids.append(
                    await enqueue(
                        UnitOfWork(conn),
                        merchant_id=1000,
                        channel=channel,  # type: ignore[arg-type]
                        recipient=recipient,
                        subject="Your code" if channel == "email" else None,
                        body=body,
                        now=datetime.now(UTC),
                    )
                )
        return ids

    assert client.portal is not None
    return client.portal.call(go)


def app_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        log_level="WARNING",
        outbox_poll_seconds=0.05,
        **overrides,
    )


def test_the_app_worker_delivers_to_the_log_transport(tmp_path: Path) -> None:
    with TestClient(create_app(app_settings(tmp_path))) as client:
        transport = client.app.state.transport  # type: ignore[attr-defined]
        assert isinstance(transport, LogTransport)
        [message_id] = enqueue_through(client, ("sms", "+16175550199", "Reply YES to join"))
        wait_for(lambda: len(transport.sent) == 1)
        assert transport.sent[0].id == message_id
        assert transport.sent[0].body == "Reply YES to join"


def test_the_app_worker_sends_email_by_smtp_and_sms_to_the_log(
    tmp_path: Path, inbox: Inbox
) -> None:
    settings = app_settings(
        tmp_path,
        mail_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        mail_from="OpenPXS <no-reply@openpxs.test>",
    )
    with TestClient(create_app(settings)) as client:
        transport = client.app.state.transport  # type: ignore[attr-defined]
        assert isinstance(transport, RoutingTransport)
        sms = log_transport(transport)
        assert sms is not None
        enqueue_through(
            client,
            ("email", "dana@example.com", "Your code is 135790"),
            ("sms", "+16175550199", "Your code is 864209"),
        )
        wait_for(lambda: len(inbox.received) == 1 and len(sms.sent) == 1)
    [got] = inbox.received
    assert got.recipients == ["dana@example.com"] and got.message["Subject"] == "Your code"
    assert "135790" in str(got.message.get_payload())
    assert sms.sent[0].recipient == "+16175550199"


def test_no_worker_runs_when_it_is_turned_off(tmp_path: Path) -> None:
    settings = app_settings(tmp_path, outbox_worker=False)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.outbox_worker is None  # type: ignore[attr-defined]
        transport = client.app.state.transport  # type: ignore[attr-defined]
        enqueue_through(client, ("email", "dana@example.com", "Your code is 1"))
        time.sleep(0.3)
        assert list(transport.sent) == []

    async def later() -> int:
        # Another process (here: a pass of our own) can still deliver it.
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            sent = await deliver_due(engine, transport, datetime.now(UTC))
            async with engine.connect() as conn:
                assert (await conn.execute(select(outbox.c.sent_at))).scalar_one() is not None
            return sent
        finally:
            await engine.dispose()

    assert asyncio.run(later()) == 1


def test_the_session_app_keeps_a_log_transport(client: TestClient) -> None:
    """Tests of guest services read sent codes here (after ``deliver_due`` or the worker)."""
    assert isinstance(client.app.state.transport, LogTransport)  # type: ignore[attr-defined]

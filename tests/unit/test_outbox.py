"""The outbox: written in the causing transaction, delivered once, retried, given up.

Each test runs on a fresh SQLite file, and, in the PostgreSQL pass, also on the session
database (emptied by the client fixture). The messages are due in the year 2200, far
beyond any clock the session application's own outbox worker reads, so that worker
never takes them from the test.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.clock import Clock
from openpxs.logs import JsonFormatter
from openpxs.messaging import LogTransport, OutboxWorker, OutgoingMessage, deliver_due, enqueue
from openpxs.messaging.outbox import MAX_ATTEMPTS, retry_delay
from openpxs.messaging.transports import RoutingTransport, log_transport, mask_recipient
from openpxs.messaging.worker import deliver_everything_due, deliver_pass
from openpxs.store.db import create_engine, migrate
from openpxs.store.tables import outbox
from openpxs.store.uow import UnitOfWork

NOW = datetime(2200, 1, 1, 12, 0, tzinfo=UTC)
MERCHANT = 1000


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}"
    request.getfixturevalue("client")
    url: str = request.getfixturevalue("database_url")
    return url


@asynccontextmanager
async def engine_on(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


def run(url: str, scenario: Callable[[AsyncEngine], Awaitable[None]]) -> None:
    async def main() -> None:
        async with engine_on(url) as engine:
            await scenario(engine)

    asyncio.run(main())


async def add(
    engine: AsyncEngine,
    body: str = "Your code is 123456",
    *,
    recipient: str = "dana@example.com",
    channel: Any = "email",
    now: datetime = NOW,
) -> int:
    async with engine.begin() as conn:
        return await enqueue(
            UnitOfWork(conn),
            merchant_id=MERCHANT,
            channel=channel,
            recipient=recipient,
            subject="Your verification code" if channel == "email" else None,
            body=body,
            now=now,
        )


async def row(engine: AsyncEngine, message_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(outbox).where(outbox.c.id == message_id))).one()


class Recording:
    """A transport that records every send and yields, so concurrent passes interleave."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.sleep(0.002)
        self.sent.append(message.id)


class Failing:
    def __init__(self, error: Exception, failures: int = 1_000) -> None:
        self.error, self.failures, self.tries, self.sent = error, failures, 0, 0

    async def send(self, message: OutgoingMessage) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error
        self.sent += 1


def test_a_rolled_back_change_sends_nothing(db_url: str) -> None:
    class Refused(Exception):
        pass

    async def scenario(engine: AsyncEngine) -> None:
        with pytest.raises(Refused):
            async with engine.begin() as conn:
                await enqueue(
                    UnitOfWork(conn),
                    merchant_id=MERCHANT,
                    channel="email",
                    recipient="dana@example.com",
                    subject="Reset your password",
                    body="Your code is 424242",
                    now=NOW,
                )
                raise Refused
        transport = LogTransport()
        assert await deliver_due(engine, transport, NOW + timedelta(days=1)) == 0
        assert list(transport.sent) == []
        async with engine.connect() as conn:
            assert (await conn.execute(select(outbox.c.id))).all() == []

    run(db_url, scenario)


def test_a_committed_message_is_sent_once_with_everything_it_was_given(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        message_id = await add(engine, "Your code is 777111")
        transport = LogTransport()
        assert await deliver_due(engine, transport, NOW - timedelta(seconds=1)) == 0
        assert await deliver_due(engine, transport, NOW) == 1
        assert await deliver_due(engine, transport, NOW + timedelta(days=1)) == 0
        [sent] = transport.sent
        assert (sent.id, sent.merchant_id, sent.channel) == (message_id, MERCHANT, "email")
        assert (sent.recipient, sent.subject) == ("dana@example.com", "Your verification code")
        assert sent.body == "Your code is 777111"
        stored = await row(engine, message_id)
        assert stored.sent_at == NOW
        assert (stored.attempts, stored.failed_at, stored.last_error) == (0, None, None)

    run(db_url, scenario)


@pytest.mark.parametrize("engines", [1, 2], ids=["one-engine", "two-engines"])
def test_concurrent_passes_send_each_message_exactly_once(db_url: str, engines: int) -> None:
    """Four passes at once, small batches, over one engine or two (two server processes)."""

    async def scenario(engine: AsyncEngine) -> None:
        ids = [await add(engine, f"code {n}", recipient=f"guest{n}@example.com") for n in range(40)]
        transport = Recording()
        async with engine_on(str(engine.url)) as other:
            pool = [engine, other][:engines]

            async def drain(worker: int) -> int:
                done = 0
                while sent := await deliver_due(pool[worker % engines], transport, NOW, batch=3):
                    done += sent
                return done

            totals = await asyncio.gather(*(drain(w) for w in range(4)))
        assert sum(totals) == 40
        assert Counter(transport.sent) == Counter(ids)
        # More than one pass did real work: the passes really ran side by side.
        assert sum(1 for t in totals if t) > 1
        async with engine.connect() as conn:
            assert (await UnitOfWork(conn).outbox.counts(now=NOW)).sent == 40

    run(db_url, scenario)


def test_a_failing_transport_backs_off_then_gives_up(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        message_id = await add(engine)
        transport = Failing(ConnectionRefusedError("relay at 127.0.0.1:25 is down\nretry"))
        at = NOW
        waits = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert await deliver_due(engine, transport, at) == 0
            stored = await row(engine, message_id)
            assert stored.attempts == attempt
            assert (
                stored.last_error == "ConnectionRefusedError: relay at 127.0.0.1:25 is down retry"
            )
            assert stored.sent_at is None
            if attempt < MAX_ATTEMPTS:
                assert stored.failed_at is None
                waits.append(stored.next_attempt_at - at)
                # Not a moment early.
                assert (
                    await deliver_pass(
                        engine, transport, stored.next_attempt_at - timedelta(microseconds=1)
                    )
                ).claimed == 0
                at = stored.next_attempt_at
            else:
                assert stored.failed_at == at
        assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 480, 960, 1920]
        assert transport.tries == MAX_ATTEMPTS
        # Given up for good.
        assert (await deliver_pass(engine, transport, at + timedelta(days=365))).claimed == 0
        async with engine.connect() as conn:
            assert (await UnitOfWork(conn).outbox.counts(now=at)).failed == 1

    run(db_url, scenario)


def test_a_send_that_works_on_retry_is_marked_sent(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        message_id = await add(engine)
        transport = Failing(TimeoutError(), failures=1)
        assert await deliver_due(engine, transport, NOW) == 0
        assert (await row(engine, message_id)).last_error == "TimeoutError"
        later = NOW + timedelta(seconds=30)
        assert await deliver_due(engine, transport, later) == 1
        stored = await row(engine, message_id)
        assert (stored.attempts, stored.sent_at, stored.last_error) == (1, later, None)

    run(db_url, scenario)


def test_the_stored_error_is_one_line_of_at_most_500_characters(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        message_id = await add(engine)
        await deliver_due(engine, Failing(RuntimeError("x\n" * 2000)), NOW)
        error = (await row(engine, message_id)).last_error
        assert len(error) == 500 and "\n" not in error and error.startswith("RuntimeError: x x")

    run(db_url, scenario)


def test_a_stopped_pass_hands_its_unsent_messages_back(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        for n in range(3):
            await add(engine, f"code {n}")
        stop = asyncio.Event()
        stop.set()
        result = await deliver_pass(engine, LogTransport(), NOW, stop=stop)
        assert (result.claimed, result.sent) == (3, 0)
        async with engine.connect() as conn:
            assert (await UnitOfWork(conn).outbox.counts(now=NOW)).due == 3
        assert await deliver_everything_due(engine, LogTransport(), NOW, batch=2) == 3

    run(db_url, scenario)


def test_deliver_everything_due_ends_when_every_message_fails(db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        for n in range(5):
            await add(engine, f"code {n}")
        transport = Failing(OSError("down"))
        assert await deliver_everything_due(engine, transport, NOW, batch=2) == 0
        assert transport.tries == 5
        async with engine.connect() as conn:
            found = await UnitOfWork(conn).outbox.counts(now=NOW)
        assert (found.due, found.waiting) == (0, 5)

    run(db_url, scenario)


def test_the_worker_delivers_and_survives_an_error(db_url: str) -> None:
    class FlakyClock(Clock):
        """Fails the first pass, as a database that is away would."""

        def __init__(self) -> None:
            self.calls = 0

        def now(self) -> datetime:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("database is away")
            return NOW

    async def scenario(engine: AsyncEngine) -> None:
        message_id = await add(engine)
        transport = LogTransport()
        worker = OutboxWorker(engine, transport, FlakyClock(), poll_seconds=0.01)
        worker.start()
        try:
            for _ in range(500):
                if transport.sent:
                    break
                await asyncio.sleep(0.01)
        finally:
            await worker.stop()
        assert [m.id for m in transport.sent] == [message_id]
        await worker.stop()  # stopping twice is harmless

    run(db_url, scenario)


@pytest.mark.parametrize(
    ("channel", "recipient", "subject", "problem"),
    [
        ("fax", "dana@example.com", None, "channel"),
        ("email", "dana@example.com\r\nBcc: all@example.com", "Hi", "line break"),
        ("email", "dana@example.com", "Hi\nBcc: all@example.com", "line break"),
        ("email", "d" * 250 + "@example.com", "Hi", "longer than 254"),
        ("email", "dana@example.com", "s" * 201, "longer than 200"),
        ("sms", "  ", None, "empty"),
    ],
)
def test_enqueue_refuses_what_cannot_be_sent(
    tmp_path: Path, channel: Any, recipient: str, subject: str | None, problem: str
) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            with pytest.raises(ValueError, match=problem):
                await enqueue(
                    UnitOfWork(conn),
                    merchant_id=MERCHANT,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body="b",
                    now=NOW,
                )

    run(f"sqlite:///{tmp_path / 'refuse.db'}", scenario)


def test_the_log_transport_logs_a_masked_line_and_never_the_body() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("openpxs.messages")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    transport = LogTransport(keep=3)
    try:
        for n in range(5):
            message = OutgoingMessage(
                id=n,
                merchant_id=MERCHANT,
                channel="email" if n % 2 else "sms",
                recipient="dana@example.com" if n % 2 else "+1 617 555 0199",
                subject="Your code" if n % 2 else None,
                body=f"Your code is 90817{n}",
            )
            asyncio.run(transport.send(message))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 5
    assert lines[1]["recipient"] == "d***@example.com"
    assert lines[1]["subject"] == "Your code" and lines[1]["channel"] == "email"
    assert lines[0]["recipient"] == "***0199"
    text = stream.getvalue()
    assert "90817" not in text and "dana@" not in text and "617 555" not in text
    # Bounded, and the newest kept (bodies included, for tests and the demo).
    assert [m.body for m in transport.sent] == [f"Your code is 90817{n}" for n in (2, 3, 4)]
    assert "90817" not in repr(transport.sent[0])


def test_masking_and_routing() -> None:
    assert mask_recipient("d@example.com") == "d***@example.com"
    assert mask_recipient("x@y@example.com") == "x***@example.com"
    assert mask_recipient("12345") == "***"
    assert mask_recipient("+16175550199") == "***0199"
    email, sms = LogTransport(), LogTransport()
    router = RoutingTransport(email=email, sms=sms)
    for n, channel in enumerate(("email", "sms", "sms")):
        message = OutgoingMessage(n, MERCHANT, channel, "r@example.com", None, "b")  # type: ignore[arg-type]
        asyncio.run(router.send(message))
    assert (len(email.sent), len(sms.sent)) == (1, 2)
    assert log_transport(router) is sms and log_transport(email) is email


def test_retry_delays_double_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert retry_delay(10_000) == timedelta(hours=1)

"""Delivery of outbox messages: a pass over what is due, and the loop that repeats it.

Every server process runs the loop (``OutboxWorker``), so passes run concurrently.
A pass claims its rows in one short transaction by moving their next_attempt_at to the
end of a lease; other passes skip them until then. Sends happen after that transaction
has committed, so no database lock is held while a relay is slow. A process that dies
between sending and recording leaves the row to be sent again when the lease ends:
delivery is at least once, and exactly once whenever no process dies mid-send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.clock import Clock
from openpxs.domain.sms import number_key
from openpxs.messaging import outbox
from openpxs.messaging.transports import RecipientGone, Transport, Undeliverable
from openpxs.store.repositories.outbox import ERROR_LIMIT, OutgoingMessage
from openpxs.store.uow import UnitOfWork, unit_of_work

# The push_devices platform of each push channel.
PLATFORM_OF_CHANNEL = {"apns": "ios", "fcm": "android"}

log = logging.getLogger("openpxs.messages")

# How long a claim hides its rows from other workers. A pass stops starting sends once
# half of it has gone (see deliver_due), and a send is bounded by the transport's
# timeout (seconds), so a claim never runs out under a send that is still going on.
LEASE = timedelta(minutes=10)
# How often the worker also settles card payments left open (services.card_payments).
RECONCILE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class PassResult:
    claimed: int
    sent: int
    failed: int


async def deliver_due(
    engine: AsyncEngine,
    transport: Transport,
    now: datetime,
    batch: int = 50,
    *,
    stop: asyncio.Event | None = None,
    lease: timedelta = LEASE,
) -> int:
    """Send up to ``batch`` due messages; returns how many were sent.

    Setting ``stop`` ends the pass between two sends; the messages it had claimed but
    not tried are handed back at once rather than when the lease ends.
    """
    return (await deliver_pass(engine, transport, now, batch, stop=stop, lease=lease)).sent


async def deliver_pass(
    engine: AsyncEngine,
    transport: Transport,
    now: datetime,
    batch: int = 50,
    *,
    stop: asyncio.Event | None = None,
    lease: timedelta = LEASE,
) -> PassResult:
    """``deliver_due`` with the whole count: a full ``claimed`` means more may be due."""
    lease_until = now + lease
    async with unit_of_work(engine) as uow:
        messages = await uow.outbox.claim_due(now=now, lease_until=lease_until, limit=batch)
    started = time.monotonic()
    sent = failed = 0
    for position, message in enumerate(messages):
        stopping = stop is not None and stop.is_set()
        if stopping or time.monotonic() - started > lease.total_seconds() / 2:
            rest = [m.id for m in messages[position:]]
            async with unit_of_work(engine) as uow:
                await uow.outbox.release(rest, lease_until=lease_until, now=now)
            break
        try:
            reason_not_to_send = await _held_back(engine, message)
            if reason_not_to_send is not None:
                raise Undeliverable(reason_not_to_send)
            await transport.send(message)
        except Exception as exc:
            failed += 1
            error = describe_error(exc)
            async with unit_of_work(engine) as uow:
                if isinstance(exc, RecipientGone):
                    await _forget_recipient(uow, message, now)
                gave_up = await outbox.record_failure(
                    uow, message, error=error, now=now, give_up=isinstance(exc, Undeliverable)
                )
            log.warning(
                "message given up" if gave_up else "message delivery failed",
                extra={
                    "fields": {
                        "outbox_id": message.id,
                        "merchant_id": message.merchant_id,
                        "channel": message.channel,
                        "attempts": message.attempts + 1,
                        "error": error,
                    }
                },
            )
            continue
        sent += 1
        async with unit_of_work(engine) as uow:
            await uow.outbox.mark_sent(message.id, now=now)
    return PassResult(claimed=len(messages), sent=sent, failed=failed)


async def deliver_everything_due(
    engine: AsyncEngine, transport: Transport, now: datetime, batch: int = 50
) -> int:
    """Pass after pass until nothing due is left; returns how many were sent.

    Ends: a message that fails is rescheduled after ``now``, so no pass sees it twice.
    """
    total = 0
    while True:
        result = await deliver_pass(engine, transport, now, batch)
        total += result.sent
        if result.claimed < batch:
            return total


async def _held_back(engine: AsyncEngine, message: OutgoingMessage) -> str | None:
    """Why the message must not be sent at all, checked just before each send: an SMS to
    a number that texted STOP (until it opts in again)."""
    if message.channel != "sms":
        return None
    async with unit_of_work(engine) as uow:
        stopped = await uow.push_devices.sms_stopped(
            message.merchant_id, number_key(message.recipient)
        )
    return "the number has opted out of SMS (STOP)" if stopped else None


async def _forget_recipient(uow: UnitOfWork, message: OutgoingMessage, now: datetime) -> None:
    """The push service no longer knows the token: no more pushes go to it. The SMS
    provider says the number texted STOP: no more SMS go to it until it opts in."""
    if message.channel == "sms":
        await uow.push_devices.set_sms_stopped(
            message.merchant_id, number_key(message.recipient), stopped=True, now=now
        )
        return
    platform = PLATFORM_OF_CHANNEL.get(message.channel)
    if platform is not None:
        await uow.push_devices.remove_token(message.merchant_id, platform, message.recipient)


_SPACES = re.compile(r"\s+")


def describe_error(exc: BaseException) -> str:
    """One line for last_error and the log: the exception's type and text.

    Transports raise texts without credentials or message bodies (see DeliveryError),
    so this adds nothing of either.
    """
    text = _SPACES.sub(" ", str(exc)).strip()
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line[:ERROR_LIMIT]


class OutboxWorker:
    """Delivers due messages every ``poll_seconds`` until stopped; never dies of an error."""

    def __init__(
        self,
        engine: AsyncEngine,
        transport: Transport,
        clock: Clock | None = None,
        *,
        poll_seconds: float = 2.0,
        batch: int = 50,
    ) -> None:
        self.engine, self.transport = engine, transport
        self.clock = clock or Clock()
        self.poll_seconds, self.batch = poll_seconds, batch
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reconciled_at = 0.0
        # When the last delivery pass ended, and whether it failed (the health page).
        self.last_pass_at: datetime | None = None
        self.last_pass_failed = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="openpxs-outbox")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the send in progress finish (up to ``grace_seconds``), then end the loop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, grace_seconds)
        except TimeoutError:
            # wait_for has cancelled the task; its claimed rows come back when the
            # lease ends.
            log.warning("outbox worker stopped during a send")

    async def _run(self) -> None:
        while not self._stop.is_set():
            more = False
            await self._sweep_wallet_passes()
            try:
                result = await deliver_pass(
                    self.engine, self.transport, self.clock.now(), self.batch, stop=self._stop
                )
                # A full batch means a backlog: go on without waiting.
                more = result.claimed == self.batch
                self.last_pass_failed = False
            except Exception:
                # The database may be away or a transport broken; the next poll retries.
                log.exception("outbox delivery pass failed")
                self.last_pass_failed = True
            self.last_pass_at = self.clock.now()
            await self._reconcile_payments()
            if more:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_seconds)

    async def _sweep_wallet_passes(self) -> None:
        """Queue the updates of wallet passes whose balances changed (pass-update pushes,
        Google Wallet object updates), before this poll's delivery pass sends them."""
        from openpxs.services.wallet_passes import sweep

        try:
            async with unit_of_work(self.engine) as uow:
                await sweep(uow, self.clock.now())
        except Exception:
            log.exception("wallet pass sweep failed")

    async def _reconcile_payments(self) -> None:
        """Make due automatic recharges, send unclaimed gifts back to their givers, renew
        due subscriptions, release payment intents nobody captured in time and settle
        card payments a dead process left half done, once a minute at most."""
        if time.monotonic() - self._reconciled_at < RECONCILE_EVERY_SECONDS:
            return
        self._reconciled_at = time.monotonic()
        from openpxs.services.auto_recharge import make_due_recharges
        from openpxs.services.card_payments import reconcile
        from openpxs.services.gift_transfers import return_lapsed
        from openpxs.services.payment_intents import expire_stale
        from openpxs.services.subscriptions import renew_due

        try:
            await make_due_recharges(lambda: unit_of_work(self.engine), self.clock.now())
            await return_lapsed(lambda: unit_of_work(self.engine), self.clock.now())
            await renew_due(lambda: unit_of_work(self.engine), self.clock.now())
            await expire_stale(lambda: unit_of_work(self.engine), self.clock.now())
            report = await reconcile(lambda: unit_of_work(self.engine), self.clock.now())
        except Exception:
            log.exception("automatic recharge or payment reconciliation failed")
            return
        if report.credited or report.compensated or report.failed or report.left_open:
            log.warning("payments reconciled", extra={"fields": vars(report)})

"""``openpxs webhooks failed`` lists the deliveries given up; ``openpxs webhooks replay``
makes them due again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.messaging import enqueue
from openpxs.messaging.outbox import record_failure
from openpxs.store.db import create_engine, migrate
from openpxs.store.uow import UnitOfWork


def given_up(url: str) -> None:
    """Two webhook deliveries and an e-mail, all given up."""

    async def go() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
            now = datetime.now(UTC)
            async with engine.begin() as conn:
                uow = UnitOfWork(conn)
                for merchant, channel, recipient in (
                    (1000, "webhook", "crm"),
                    (2000, "webhook", "warehouse"),
                    (1000, "email", "guest@example.com"),
                ):
                    await enqueue(
                        uow,
                        merchant_id=merchant,
                        channel=channel,  # type: ignore[arg-type]
                        recipient=recipient,
                        subject="value.moved" if channel == "webhook" else "Hello",
                        body='{"id":"evt_1"}',
                        now=now,
                    )
                for message in await uow.outbox.claim_due(now=now, lease_until=now, limit=10):
                    await record_failure(
                        uow, message, error="DeliveryError: answered 503", now=now, give_up=True
                    )
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_failed_lists_and_replay_requeues(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    given_up(url)
    runner = CliRunner()
    failed = runner.invoke(cli, ["webhooks", "failed", "--database", url])
    assert failed.exit_code == 0, failed.output
    assert "crm" in failed.output and "warehouse" in failed.output
    assert "guest@example.com" not in failed.output  # not a webhook
    assert "answered 503" in failed.output and "2 failed deliveries" in failed.output
    only = runner.invoke(cli, ["webhooks", "failed", "--merchant", "2000", "--database", url])
    assert "warehouse" in only.output and "crm" not in only.output

    neither = runner.invoke(cli, ["webhooks", "replay", "--database", url])
    assert neither.exit_code == 2, neither.output
    # The e-mail (id 3) lost its body: it is not a failed webhook delivery.
    some = runner.invoke(cli, ["webhooks", "replay", "1", "3", "--database", url])
    assert some.exit_code == 1, some.output
    assert "replaying 1 delivery" in some.output and "3" in some.output.splitlines()[-1]
    rest = runner.invoke(cli, ["webhooks", "replay", "--all", "--database", url])
    assert rest.exit_code == 0 and "replaying 1 delivery" in rest.output
    assert (
        "no failed webhook deliveries"
        in runner.invoke(cli, ["webhooks", "failed", "--database", url]).output
    )
    pending = runner.invoke(cli, ["outbox", "pending", "--database", url])
    assert pending.output.split() == ["due", "2", "waiting", "0", "failed", "1", "sent", "0"]

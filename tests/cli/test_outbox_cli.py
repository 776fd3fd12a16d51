"""``openpxs outbox pending`` counts the outbox; ``openpxs outbox deliver`` empties it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.messaging import enqueue
from openpxs.store.db import create_engine, migrate
from openpxs.store.uow import UnitOfWork


def fill(url: str) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
            now = datetime.now(UTC)
            async with engine.begin() as conn:
                for n, when in enumerate((now, now, now + timedelta(hours=1))):
                    await enqueue(
                        UnitOfWork(conn),
                        merchant_id=1000,
                        channel="email",
                        recipient=f"guest{n}@example.com",
                        subject="Your code",
                        body=f"Your code is {n}",
                        now=when,
                    )
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_pending_then_deliver(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    fill(url)
    runner = CliRunner()
    pending = runner.invoke(cli, ["outbox", "pending", "--database", url])
    assert pending.exit_code == 0, pending.output
    assert pending.output.split() == ["due", "2", "waiting", "1", "failed", "0", "sent", "0"]

    delivered = runner.invoke(cli, ["outbox", "deliver", "--database", url])
    assert delivered.exit_code == 0, delivered.output
    assert "delivered 2 messages" in delivered.output
    # The log transport's lines never carry a body.
    assert "Your code is" not in delivered.output

    again = runner.invoke(cli, ["outbox", "pending", "--database", url])
    assert again.output.split() == ["due", "0", "waiting", "1", "failed", "0", "sent", "2"]

"""``openpxs payments ...``: settling card payments left open by a process that died."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.console import Console

from openpxs.cli_support import DatabaseOption, command_group, open_database, reported_failures, run
from openpxs.cli_support import settings as cli_settings

payments_app = command_group("Card payments.")
console = Console(soft_wrap=True)


@payments_app.command("reconcile")
def payments_reconcile(
    database: str | None = DatabaseOption,
    grace_minutes: float = typer.Option(
        2.0,
        "--grace-minutes",
        min=0,
        help="Leave alone attempts younger than this: their call may still be running.",
    ),
) -> None:
    """Finish or give back every card payment left half done, and release payment
    intents nobody captured in time.

    An attempt whose charge was recorded is credited to its card (or refunded when the
    card can no longer take it); one that never got as far is settled by asking the
    processor what its idempotency key did: a charge nobody was told of is voided or
    refunded, no charge marks it failed. A payment intent not captured within the
    program's intent_capture_days is released at the processor and ends CANCELED.
    Every server process also does this in the background; the command is for a server
    that is down, or to settle at once.
    """
    from openpxs.domain.clock import Clock
    from openpxs.services.card_payments import ReconcileReport, reconcile
    from openpxs.services.payment_intents import expire_stale
    from openpxs.store.uow import unit_of_work

    async def settle(url: str) -> tuple[ReconcileReport, int]:
        engine = await open_database(url)
        try:
            report = await reconcile(
                lambda: unit_of_work(engine),
                Clock().now(),
                grace=timedelta(minutes=grace_minutes),
            )
            released = await expire_stale(lambda: unit_of_work(engine), Clock().now())
            return report, released
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    report, released = run(url, settle(url))
    console.print(
        f"payments reconciled: {report.credited} credited, {report.compensated} given back,"
        f" {report.failed} failed, {report.left_open} left open;"
        f" expired payment intents released: {released}"
    )

"""``openpxs webhooks ...``: the deliveries of signed webhooks that were given up, and
sending them again once the receiver is fixed."""

from __future__ import annotations

import typer
from rich.console import Console

from openpxs.cli_support import (
    CommandFailure,
    DatabaseOption,
    ExitCode,
    command_group,
    open_database,
    plural,
    reported_failures,
    run,
)
from openpxs.cli_support import settings as cli_settings
from openpxs.store.repositories.outbox import FailedMessage

webhooks_app = command_group("Signed webhooks.")
console = Console(soft_wrap=True)

MerchantOption = typer.Option(
    None,
    "--merchant",
    metavar="ID",
    help="Only this merchant's deliveries.",
    show_default="every merchant",
)


@webhooks_app.command("failed")
def webhooks_failed(
    merchant: int | None = MerchantOption, database: str | None = DatabaseOption
) -> None:
    """List the webhook deliveries given up.

    A delivery is given up after its last attempt (timeouts and 5xx answers are tried
    again with backoff first) or at once when the receiver refused it (another 4xx).
    """
    from openpxs.services.webhooks import failed_deliveries
    from openpxs.store.uow import reading

    async def find(url: str) -> list[FailedMessage]:
        engine = await open_database(url)
        try:
            async with reading(engine) as uow:
                return await failed_deliveries(uow, merchant)
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    failed = run(url, find(url))
    if not failed:
        console.print("no failed webhook deliveries")
        return
    # One tab-separated line per delivery, for scripts as well as eyes.
    print("id\tmerchant\tendpoint\tevent\tattempts\tgiven up\tlast error")
    for f in failed:
        fields = (
            f.id,
            f.merchant_id,
            f.recipient,
            f.subject or "",
            f.attempts,
            f.failed_at.isoformat(timespec="seconds"),
            f.last_error or "",
        )
        print("\t".join(map(str, fields)))
    console.print(plural(len(failed), "failed delivery", "failed deliveries"))


@webhooks_app.command("replay")
def webhooks_replay(
    ids: list[int] | None = typer.Argument(
        None, metavar="[ID]...", help="Ids of failed deliveries (see failed)."
    ),
    every: bool = typer.Option(False, "--all", help="Every failed delivery."),
    merchant: int | None = MerchantOption,
    database: str | None = DatabaseOption,
) -> None:
    """Send failed webhook deliveries again.

    They become due now with a fresh count of attempts, the same event id and body
    (receivers drop an event id they already have); a server's outbox worker, or
    `openpxs outbox deliver`, sends them, signed anew.
    """
    from openpxs.domain.clock import Clock
    from openpxs.services.webhooks import replay
    from openpxs.store.uow import unit_of_work

    async def requeue(url: str) -> list[int]:
        engine = await open_database(url)
        try:
            async with unit_of_work(engine) as uow:
                return await replay(
                    uow, Clock().now(), ids=None if every else ids, merchant_id=merchant
                )
        finally:
            await engine.dispose()

    with reported_failures(database):
        if bool(ids) == every:
            raise CommandFailure(ExitCode.USAGE, "give delivery ids or --all (not both)")
        url = cli_settings(database).database_url
        done = run(url, requeue(url))
        missing = sorted(set(ids or []) - set(done))
        console.print(f"replaying {plural(len(done), 'delivery', 'deliveries')}")
        if missing:
            listed = ", ".join(map(str, missing))
            raise CommandFailure(ExitCode.CHECK_FAILED, f"not failed webhook deliveries: {listed}")

"""``openpxs gifts ...`` and ``openpxs subscriptions ...``: the scheduled work of gift
transfers and subscriptions, for running now or from cron when no server is up (every
server process also does it in the background, from the outbox worker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from rich.console import Console

from openpxs.cli_support import DatabaseOption, command_group, open_database, reported_failures, run
from openpxs.cli_support import settings as cli_settings
from openpxs.services.card_payments import Units

gifts_app = command_group("Gift transfers.")
console = Console(soft_wrap=True)
T = TypeVar("T")


def _with_units(database: str | None, work: Callable[[Units], Awaitable[T]]) -> T:
    from openpxs.store.uow import unit_of_work

    async def go(url: str) -> T:
        engine = await open_database(url)
        try:
            return await work(lambda: unit_of_work(engine))
        finally:
            await engine.dispose()

    with reported_failures(database):
        url = cli_settings(database).database_url
    return run(url, go(url))


@gifts_app.command("return-unclaimed")
def gifts_return_unclaimed(database: str | None = DatabaseOption) -> None:
    """Give every gift nobody claimed in time back to its giver.

    Safe to run at any time and as often as wanted: a gift goes back once, and one
    claimed meanwhile stays claimed.
    """
    from openpxs.domain.clock import Clock
    from openpxs.services.gift_transfers import return_lapsed

    async def work(units: Units) -> int:
        total = 0
        while True:
            done = await return_lapsed(units, Clock().now())
            total += done
            if done == 0:
                return total

    returned = _with_units(database, work)
    console.print(f"gifts returned to their givers: {returned}")


subscriptions_app = command_group("Subscriptions.")


@subscriptions_app.command("renew")
def subscriptions_renew(database: str | None = DatabaseOption) -> None:
    """Renew every subscription whose paid period has ended, retry past-due ones whose
    retry date has come, and end cancelled ones.

    Each renewal charges under an idempotency key of its own period and try, so running
    this while a server's worker does the same charges once.
    """
    from openpxs.domain.clock import Clock
    from openpxs.services.subscriptions import RenewReport, renew_due

    async def work(units: Units) -> RenewReport:
        return await renew_due(units, Clock().now())

    report = _with_units(database, work)
    console.print(
        f"subscriptions: {report.renewed} renewed, {report.declined} declined,"
        f" {report.expired} ended, {report.left} left for later"
    )

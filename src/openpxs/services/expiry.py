"""The expiry sweep: write off lapsed value on every account, one account at a time."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from openpxs.domain.stamp import CallStamp
from openpxs.services.books import open_settled_book
from openpxs.store.uow import UnitOfWork

# Opens a new unit of work: a sweep commits account by account, so a long one holds
# no lock for long and a failure loses one account's work only.
UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def expire_everything(units: UnitsOfWork, now: datetime) -> int:
    """Write off every lapsed lot on the server; returns how many accounts were done."""
    done = 0
    previous: list[tuple[int, int]] = []
    while True:
        async with units() as uow:
            due = await uow.ledger.accounts_with_due_lots(now, limit=500)
        # Lots of a wallet no longer configured cannot be written off; stop, not spin.
        if not due or due == previous:
            return done
        previous = due
        for merchant_id, account_id in due:
            async with units() as uow:
                program = await uow.programs.load(merchant_id)
                await uow.accounts.lock(merchant_id, [account_id])
                stamp = CallStamp(merchant_id, None, None, None, None, None, None, now)
                await open_settled_book(uow, program, account_id, stamp)
            done += 1

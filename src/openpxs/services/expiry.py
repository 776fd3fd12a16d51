"""The expiry sweep: write off lapsed value on every account, one account at a time."""

from __future__ import annotations

from openpxs.domain.clock import Clock
from openpxs.services.accounts import open_settled_book
from openpxs.store import ledger as ledger_store
from openpxs.store import records
from openpxs.store.catalog import load_program
from openpxs.store.db import create_engine, migrate
from openpxs.store.records import Where


async def expire_everything(database_url: str, clock: Clock | None = None) -> int:
    engine = create_engine(database_url)
    now = (clock or Clock()).now()
    done = 0
    try:
        await migrate(engine)
        previous: list[tuple[int, int]] = []
        while True:
            async with engine.connect() as conn:
                due = await ledger_store.accounts_with_due_lots(conn, now, limit=500)
            # Lots of a wallet no longer configured cannot be written off; stop, not spin.
            if not due or due == previous:
                return done
            previous = due
            for merchant_id, account_id in due:
                async with engine.begin() as conn:
                    program = await load_program(conn, merchant_id)
                    await records.lock_accounts(conn, merchant_id, [account_id])
                    where = Where(merchant_id, None, None, None, None, None, None, now)
                    await open_settled_book(conn, program, account_id, where)
                done += 1
    finally:
        await engine.dispose()

"""The console's health page: the merchant's program version, the database (its kind,
the schema revision against this code's newest, a round trip), the merchant's outbox
backlog and the server's version. The outbox worker's own state is the server
process's, which the page adds (``console.health``)."""

from __future__ import annotations

from dataclasses import dataclass

from openpxs import __version__
from openpxs.services.staff import StaffCall
from openpxs.store.repositories.outbox import OutboxCounts
from openpxs.store.repositories.schema import SchemaState

__all__ = ["Health", "OutboxCounts", "SchemaState", "health"]


@dataclass(frozen=True)
class Health:
    server_version: str
    program_version: int | None
    database: SchemaState
    outbox: OutboxCounts


async def health(call: StaffCall) -> Health:
    """Any operator may read it: it tells nothing of guests."""
    return Health(
        server_version=__version__,
        program_version=await call.uow.program_files.version(call.merchant_id),
        database=await call.uow.schema.state(),
        outbox=await call.uow.outbox.counts(now=call.now, merchant_id=call.merchant_id),
    )

"""The health page (every role): versions, the database, and the outbox worker of the
server process that answers (each process runs its own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.session import run
from openpxs.domain.operators import Operator
from openpxs.messaging.worker import OutboxWorker
from openpxs.services import console_health
from openpxs.services.console_health import Health
from openpxs.services.staff import StaffCall


@dataclass(frozen=True)
class WorkerState:
    # None: this server runs no worker (OPENPXS_OUTBOX_WORKER=false).
    running: bool | None
    last_pass_at: datetime | None
    last_pass_failed: bool


def worker_state(request: Request) -> WorkerState:
    worker: OutboxWorker | None = getattr(request.app.state, "outbox_worker", None)
    if worker is None:
        return WorkerState(None, None, False)
    return WorkerState(worker.running, worker.last_pass_at, worker.last_pass_failed)


async def health_page(request: Request, operator: Operator) -> Answer:
    async def read(call: StaffCall) -> Health:
        return await console_health.health(call)

    found = await run(request, read)
    return View("health.html", {"health": found, "worker": worker_state(request)})


PAGES = [ConsolePage("health", None, show=health_page, nav="Health")]

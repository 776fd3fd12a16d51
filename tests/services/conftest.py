"""Use-case tests: services called below HTTP, in a unit of work on the test database.

They start from the same clean database as the HTTP tests (the ``client`` fixture resets
it) and run each piece of work in a unit of work of its own, committed when the work
returns and rolled back when it raises, as the dispatcher does for a call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.identity import Principal
from openpxs.services.context import Call
from openpxs.store.uow import UnitOfWork, unit_of_work

Work = Callable[[UnitOfWork], Awaitable[Any]]


@pytest.fixture
def in_unit_of_work(client: TestClient) -> Callable[[Work], Any]:
    """Run ``work(uow)`` in a unit of work of the test server's database."""
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    def run(work: Work) -> Any:
        async def go() -> Any:
            async with unit_of_work(engine) as uow:
                return await work(uow)

        assert client.portal is not None
        return client.portal.call(go)

    return run


async def merchant_call(
    uow: UnitOfWork, now: datetime, *, merchant_id: int = 1000, integration: str = "demo-pos"
) -> Call:
    """The use cases' view of a b2b call by one of the demo integrations."""
    stored = await uow.integrations.by_identifier(integration)
    assert stored is not None and stored.integration.merchant_id == merchant_id
    return Call(
        uow=uow,
        program=await uow.programs.load(merchant_id),
        integration=stored.integration,
        principal=Principal(style="b2b", merchant_id=merchant_id),
        now=now,
    )

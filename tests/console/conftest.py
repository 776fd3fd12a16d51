"""Fixtures of the operator console's tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from openpxs.demo import install_demo_guest
from openpxs.store.uow import unit_of_work


@pytest.fixture
def browser(client: TestClient) -> Iterator[TestClient]:
    """The test client as a browser with no cookies yet, and the demo guest registered
    again (the reset between tests removes every guest)."""

    async def install() -> None:
        engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        async with unit_of_work(engine) as uow:
            await install_demo_guest(uow, datetime.now(UTC))

    assert client.portal is not None
    client.portal.call(install)
    client.cookies.clear()
    yield client
    client.cookies.clear()

"""Fixtures of the guest website's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def site(client: TestClient) -> Iterator[TestClient]:
    """The test client as a browser with no cookies yet."""
    client.cookies.clear()
    yield client
    client.cookies.clear()

"""The console's health page: versions, the database and the outbox worker."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from openpxs import __version__
from openpxs.store.migrations.runner import head_revision
from tests.conftest import database_kind
from tests.console.console import CONSOLE, CSR, OWNER, add_operator, sign_in


def _figure(page: str, ident: str) -> str:
    found = re.search(rf'id="{ident}">([^<]*)<', page)
    assert found, page
    return found.group(1)


def test_every_role_reads_the_figures(browser: TestClient, database_url: str) -> None:
    add_operator(database_url, "analyst@demo.example", "analyst")
    add_operator(database_url, "manager@demo.example", "manager")
    operators = (OWNER, CSR, ("analyst@demo.example", "Operator1234!"))
    for who in (*operators, ("manager@demo.example", "Operator1234!")):
        sign_in(browser, who)
        page = browser.get(f"{CONSOLE}/health")
        assert page.status_code == 200 and "Health</a>" in page.text
    text = page.text
    assert _figure(text, "server-version") == f"OpenPXS {__version__}"
    assert _figure(text, "program-version").isdigit()
    assert _figure(text, "database-kind") == database_kind()
    assert _figure(text, "schema-revision") == head_revision()
    assert _figure(text, "schema-head") == head_revision()
    assert _figure(text, "schema-state") == "up to date"
    assert _figure(text, "database-reachable").startswith("yes (")
    assert _figure(text, "worker-state") == "running"
    assert _figure(text, "count-failed") == "0"


def test_the_worker_stopped_shows(browser: TestClient) -> None:
    worker = browser.app.state.outbox_worker  # type: ignore[attr-defined]
    assert browser.portal is not None
    browser.portal.call(worker.stop)
    try:
        sign_in(browser, CSR)
        assert _figure(browser.get(f"{CONSOLE}/health").text, "worker-state") == "stopped"
    finally:
        browser.portal.call(worker.start)
    page = browser.get(f"{CONSOLE}/health").text
    assert _figure(page, "worker-state") == "running"


def test_health_needs_a_session(browser: TestClient) -> None:
    reply = browser.get(f"{CONSOLE}/health", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"{CONSOLE}/signin"

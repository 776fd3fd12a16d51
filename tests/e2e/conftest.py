"""Fixtures of every browser test: Debian's chromium and one `openpxs demo` process, each
started once for all the browser tests that use it, and a fresh page (its own browser
context) per test that keeps a screenshot when a step fails.

Starting chromium and a demo server (which installs the demo: thousands of cards) for
every module cost more than most of the tests themselves. Both are shared, but only
for as long as the browser tests run: the browser tests are collected together (below)
and each shared resource is stopped after the last test that uses it. The shared
chromium must not outlive them, because Playwright's driver keeps an event loop on the
main thread, where the other end-to-end tests call ``asyncio.run``; the shared server
must not outlive them because on PostgreSQL it writes in the session's database, which
the other tests reset under it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Generic, TypeVar

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from tests.e2e.browser import chromium, screenshot_on_failure
from tests.e2e.site_browser import SiteServer, running_site, server_database

T = TypeVar("T")


class Shared(Generic[T]):
    """A resource started for the first test that asks for it (through the fixture of
    that name) and stopped once the next test does not use that fixture."""

    def __init__(self, fixture: str) -> None:
        self.fixture = fixture
        self._stack: ExitStack | None = None
        self._value: T | None = None

    def get(self, start: Callable[[], AbstractContextManager[T]]) -> T:
        if self._stack is None:
            with ExitStack() as stack:
                self._value = stack.enter_context(start())
                self._stack = stack.pop_all()
        assert self._value is not None
        return self._value

    def stop(self) -> None:
        stack, self._stack, self._value = self._stack, None, None
        if stack is not None:
            stack.close()

    def stop_unless_used_by(self, item: pytest.Item | None) -> None:
        if item is None or not uses(item, self.fixture):
            self.stop()


BROWSER: Shared[Browser] = Shared("browser")
DEMO: Shared[SiteServer] = Shared("demo_server")
SHARED = (DEMO, BROWSER)  # the server stops first: it may still be serving a page


# The fixtures below are this folder's: a test elsewhere naming a fixture of its own
# "browser" (the console's tests do: a TestClient) uses none of them.
HERE = Path(__file__).parent


def uses(item: pytest.Item, fixture: str) -> bool:
    return item.path.is_relative_to(HERE) and fixture in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run one after the other, at the place of the first of them,
    those on the shared demo server first, so each shared resource starts once."""
    browser_tests = [item for item in items if uses(item, "browser")]
    if not browser_tests:
        return
    first = items.index(browser_tests[0])
    block = [item for item in browser_tests if uses(item, "demo_server")]
    block += [item for item in browser_tests if not uses(item, "demo_server")]
    chosen = set(block)
    rest = [item for item in items if item not in chosen]
    items[:] = rest[:first] + block + rest[first:]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield  # the test's own fixtures first (its page, a module's own server)
    for shared in SHARED:
        shared.stop_unless_used_by(nextitem)


def pytest_sessionfinish() -> None:
    for shared in SHARED:  # an interrupted run
        shared.stop()


@pytest.fixture
def browser() -> Browser:
    return BROWSER.get(chromium)


@pytest.fixture
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, session_client: TestClient
) -> SiteServer:
    """A real `openpxs demo` process on the test session's database kind, shared by the
    browser tests that can share it: each makes its own guests, cards and operators
    (unique to it), so none depends on what another did."""

    def start() -> AbstractContextManager[SiteServer]:
        tmp = tmp_path_factory.mktemp("demo-server")
        url = server_database(tmp, database_url, session_client)
        return running_site("demo", url, tmp / "server.log")

    return DEMO.get(start)


@pytest.fixture
def page(browser: Browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    with screenshot_on_failure(opened, tmp_path, request.node.name):
        yield opened
    context.close()

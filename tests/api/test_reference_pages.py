"""/docs and /redoc stand alone: every file they load is served by the server itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient


class _References(HTMLParser):
    """Every URL a page loads: its tags' URLs, and the URLs in its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [
            value for name, value in attrs if name in ("src", "href", "spec-url") and value
        ]

    def handle_data(self, data: str) -> None:
        # Swagger UI is started by an inline script naming the document it loads.
        self.urls += re.findall(r"url: *'([^']+)'", data)
        self.urls += re.findall(r"https?://[^\s'\"<>)]+", data)


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_reference_pages_load_only_local_files(client: TestClient, page: str) -> None:
    reply = client.get(page)
    assert reply.status_code == 200 and "text/html" in reply.headers["content-type"]
    urls = _references(reply.text)
    assert "/openapi.json" in urls, urls
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
        fetched = client.get(url)
        assert fetched.status_code == 200, (page, url, fetched.status_code)
        assert fetched.content, url


def test_swagger_ui_asks_no_online_validator(client: TestClient) -> None:
    # Left on, Swagger UI sends the document to an online validator for a badge.
    assert '"validatorUrl": null' in client.get("/docs").text


def test_home_points_to_the_reference(client: TestClient) -> None:
    reply = client.get("/", follow_redirects=False)
    assert reply.status_code == 307
    assert reply.headers["location"] == "/docs"


def test_an_asset_that_does_not_exist_is_an_envelope_404(client: TestClient) -> None:
    reply = client.get("/docs-assets/nothing.js")
    assert reply.status_code == 404

"""What every reply says about itself: caching, framing, sniffing, and who may read
/metrics."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from openpxs.app import create_app
from openpxs.settings import Settings
from tests.api.guests import PASSWORD, enroll, gpost, user_fields
from tests.api.pos import POS, call, header, ok, post, sell


def assert_security_headers(response: Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def assert_not_cached(response: Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_replies_carrying_tokens_are_never_cached(client: TestClient) -> None:
    enroll(client, "ada")
    response = gpost(
        client,
        "oauth",
        "requestGuestToken",
        {
            "authentication": "anonymous",
            "grant_type": "password",
            "username": "ada",
            "password": PASSWORD,
        },
    )
    assert response.json()["access_token"], response.text
    assert_not_cached(response)
    assert_security_headers(response)
    response = gpost(
        client,
        "enrollment",
        "createAndRegister",
        {
            "authentication": "anonymous",
            "cardTemplateCode": 1,
            "activationStoreCode": "corp",
            "setUserFields": user_fields("grace"),
            "setAccountFields": {"style": "typed"},
        },
    )
    assert response.json()["oauthTokens"], response.text
    assert_not_cached(response)


def test_every_api_reply_has_the_security_headers(client: TestClient) -> None:
    ok(sell(client))
    replies = [
        post(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": {}}),
        post(client, "balanceInquiry", {}, auth=None),
        client.get("/rest/24.11/nosuch/thing.json"),
        client.post("/rest/24.11/transaction/addRedeem.json", content=b" " * 100_000, auth=POS),
        client.get("/health"),
        client.get("/metrics"),
    ]
    assert [r.status_code for r in replies] == [200, 401, 404, 413, 200, 200]
    for response in replies:
        assert_security_headers(response)
        assert_not_cached(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert call(client, "status", {"headerInfo": header()})["result"] == "authorizedSuccess"


def test_the_reference_pages_may_run_their_scripts_but_not_be_framed(client: TestClient) -> None:
    # ReDoc and Swagger UI run scripts from /docs-assets and fetch /openapi.json: a
    # default-src 'none' on any of them leaves a blank page.
    pages = ["/docs", "/redoc", "/openapi.json"]
    assets = {
        src
        for page in ("/docs", "/redoc")
        for src in re.findall(r'(?:src|href)="([^"]+)"', client.get(page).text)
    }
    assert assets and all(asset.startswith("/docs-assets/") for asset in assets), assets
    for path in [*pages, *sorted(assets)]:
        response = client.get(path)
        assert response.status_code == 200
        assert_security_headers(response)
        assert "default-src" not in response.headers["content-security-policy"]


@pytest.fixture
def app_with(demo_database: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**settings: object) -> TestClient:
        app = create_app(Settings(database_url=demo_database, log_level="WARNING", **settings))
        test_client = TestClient(app, raise_server_exceptions=False)
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def test_metrics_need_the_token_when_one_is_set(app_with: Callable[..., TestClient]) -> None:
    guarded = app_with(metrics_token="s3cret-metrics")
    assert guarded.get("/metrics").status_code == 401
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["errorCode"] == "system.authentication_failed"
    page = guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert page.status_code == 200
    assert "openpxs_requests_total" in page.text


def test_metrics_can_be_turned_off(app_with: Callable[..., TestClient]) -> None:
    closed = app_with(metrics_enabled=False)
    response = closed.get("/metrics")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "system.not_found"

"""The wire layer: URLs, methods, credentials, styles, retries, documents and logs."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from openpxs.logs import JsonFormatter
from openpxs.wire.registry import REGISTRY
from tests.api.pos import (
    APP,
    GIFT,
    POS,
    add_redeem,
    add_redeem_body,
    balance,
    call,
    card,
    header,
    ok,
    post,
    refused,
    sell,
    sv,
    unchanged,
)

OPERATIONS = sorted(e.operation for e in REGISTRY.all() if e.service.name == "transaction")
STATUS = {"headerInfo": header()}


def envelope(response: Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["result"] == "failure" and body["errorCode"] == code, body
    assert isinstance(body["errorMessage"], str) and body["errorMessage"]
    return body


def test_eighteen_transaction_endpoints_are_registered() -> None:
    expected = [
        "activate",
        "voidActivate",
        "balanceInquiry",
        "identifyCustomer",
        "addRedeem",
        "voidAddRedeem",
        "activateAdd",
        "voidActivateAdd",
        "bulkActivateAdd",
        "voidBulkActivateAdd",
        "accountQuery",
        "checkinsQuery",
        "transactionHistory",
        "exchange",
        "loadMap",
        "reverse",
        "adminAdjust",
        "status",
    ]
    assert sorted(expected) == OPERATIONS


@pytest.mark.parametrize("prefix", ["/rest", "/api/rest"])
@pytest.mark.parametrize("release", ["16.3", "24.11"])
def test_both_prefixes_and_any_release(client: TestClient, prefix: str, release: str) -> None:
    response = client.post(
        f"{prefix}/{release}/transaction/balanceInquiry.json",
        auth=POS,
        json={"headerInfo": header(), "cardInfo": card(GIFT)},
    )
    assert response.status_code == 200
    assert response.json()["errorCode"] == "transaction.card_not_active"
    status = client.post(f"{prefix}/{release}/transaction/status.json", auth=POS, json={})
    assert status.json() == {"result": "authorizedSuccess"}


@pytest.mark.parametrize(
    "path",
    [
        "/rest/24.11/transaction/nope.json",
        "/rest/24.11/nosuch/status.json",
        "/api/rest/24.11/transaction/Status.json",
        "/rest/latest/transaction/status.json",
        "/rest/24/transaction/status.json",
        "/rest/24.11.1/transaction/status.json",
        "/rest/24.11/transaction/status",
        "/rest/24.11/transaction/status.xml",
        "/nothing",
    ],
)
def test_unknown_paths_are_404_envelopes(client: TestClient, path: str) -> None:
    envelope(client.post(path, auth=POS, json={}), 404, "system.not_found")


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = client.request(method, "/rest/24.11/transaction/addRedeem.json", auth=POS)
        envelope(response, 405, "system.method_not_allowed")
        assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("demo-pos", "wrong"),
        ("nobody", "demo-pos-secret"),
        ("demo-pos", ""),
        ("", "demo-pos-secret"),
    ],
)
def test_bad_credentials_are_401(client: TestClient, auth: tuple[str, str] | None) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        response = post(client, "addRedeem", add_redeem_body(redeem=sv("1.00")), auth=auth)
        envelope(response, 401, "system.authentication_failed")
        assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("authorization", ["Bearer abc", "Basic", "Basic !!!", "Basic ZGVtbw=="])
def test_malformed_authorization_is_401(client: TestClient, authorization: str) -> None:
    response = client.post(
        "/rest/24.11/transaction/status.json", json=STATUS, headers={"Authorization": authorization}
    )
    envelope(response, 401, "system.authentication_failed")


def test_credentials_are_checked_before_the_body(client: TestClient) -> None:
    response = client.post("/rest/24.11/transaction/addRedeem.json", content=b"{not json")
    envelope(response, 401, "system.authentication_failed")


def test_integration_without_b2b_is_refused(client: TestClient) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        refused(
            add_redeem(client, redeem=sv("1.00"), auth=APP),
            "system.authentication_style_not_allowed",
        )
        body = {**STATUS, "authentication": "anonymous"}
        refused(call(client, "status", body, auth=APP), "system.authentication_style_not_allowed")


def test_authentication_style_on_a_b2b_endpoint(client: TestClient) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        for style in ("card", "oauth", "anonymous", "bogus", 7):
            body = {
                **add_redeem_body(redeem=sv("1.00")),
                "authentication": style,
                "registrationCode": "1234",
                "printedCardNumber": GIFT,
            }
            refused(call(client, "addRedeem", body), "system.authentication_style_not_allowed")
    body = add_redeem_body(redeem=sv("1.00"))
    del body["authentication"]
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "24.00"
    body["authentication"] = None
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "23.00"


def test_unknown_members_are_ignored(client: TestClient) -> None:
    body = add_redeem_body(add=sv("5.00", note="x"), someNewField={"a": 1})
    body["cardInfo"]["futureMember"] = True
    body["headerInfo"]["extra"] = "y"
    body["autoActivateCard"] = True
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "5.00"


def test_bodies_that_are_not_a_json_object_are_400(client: TestClient) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        for content in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"NaN", b'{"a": 1'):
            response = client.post(
                "/rest/24.11/transaction/addRedeem.json",
                auth=POS,
                content=content,
                headers={"content-type": "application/json"},
            )
            envelope(response, 400, "transaction.invalid_request")
        refused(call(client, "addRedeem", {}), "transaction.invalid_request")


def test_merchant_id_as_numeric_string_is_accepted(client: TestClient) -> None:
    ok(sell(client))
    body = add_redeem_body(redeem=sv("1.00"), merchantId="1000")
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "24.00"
    refused(
        call(client, "addRedeem", add_redeem_body(redeem=sv("1.00"), merchantId="10x")),
        "transaction.invalid_request",
    )


def test_merchant_host_must_match_the_credentials(client: TestClient) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        refused(
            add_redeem(client, redeem=sv("1.00"), headers={"host": "m2000.example.com"}),
            "transaction.invalid_merchant",
        )
    ok(add_redeem(client, redeem=sv("1.00"), headers={"host": "m1000.api.example.com"}))


def test_other_merchant_credentials_cannot_act_for_merchant_1000(client: TestClient) -> None:
    ok(sell(client))
    with unchanged(client, GIFT):
        refused(
            add_redeem(client, redeem=sv("1.00"), auth=("demo2-pos", "demo2-pos-secret")),
            "transaction.invalid_merchant",
        )


def test_idempotency_key_replays_and_refuses_a_changed_body(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    key = {"Idempotency-Key": "k-123"}
    first = ok(add_redeem(client, redeem=sv("10.00"), headers=key))
    with unchanged(client, GIFT):
        assert add_redeem(client, redeem=sv("10.00"), headers=key) == first
        refused(
            add_redeem(client, redeem=sv("9.00"), headers=key), "transaction.duplicate_transaction"
        )
    assert balance(client, GIFT)["svCurrentBalance"] == "15.00"
    ok(add_redeem(client, redeem=sv("10.00"), headers={"Idempotency-Key": "k-124"}))
    assert balance(client, GIFT)["svCurrentBalance"] == "5.00"


def test_health_openapi_and_docs(client: TestClient) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["result"] == "success"
    document = client.get("/openapi.json").json()
    paths = {p for p in document["paths"] if p.startswith("/rest/{release}/transaction/")}
    assert paths == {f"/rest/{{release}}/transaction/{op}.json" for op in OPERATIONS}
    schemas = document["components"]["schemas"]
    for path in paths:
        operation = document["paths"][path]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1] in schemas
    add_redeem_schema = schemas["AddRedeemRequest"]
    assert {"headerInfo", "cardInfo", "addWalletContents"} <= set(add_redeem_schema["properties"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text


def test_replies_carry_decimals_as_strings(client: TestClient) -> None:
    raw = client.post(
        "/rest/24.11/transaction/activateAdd.json",
        auth=POS,
        json={"headerInfo": header(), "cardInfo": card(GIFT), "addWalletContents": sv(25)},
    ).text
    assert '"svCurrentBalance":"25.00"' in raw
    assert '"quantity":"25.00"' in raw


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("openpxs.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_request_logs_hold_no_secret_or_card(client: TestClient, request_log: io.StringIO) -> None:
    ok(sell(client, GIFT, "25.00"))
    ok(add_redeem(client, redeem=sv("1.00"), pos_id="R-1"))
    refused(
        add_redeem(client, redeem=sv("1.00"), auth=APP), "system.authentication_style_not_allowed"
    )
    post(client, "addRedeem", add_redeem_body(redeem=sv("1.00")), auth=("demo-pos", "wrong"))
    client.get(
        "/rest/24.11/transaction/balanceInquiry.json", auth=POS, params={"printedCardNumber": GIFT}
    )
    lines = [json.loads(line) for line in request_log.getvalue().splitlines()]
    assert len(lines) == 5
    assert all(line["logger"] == "openpxs.request" for line in lines)
    assert [line["status"] for line in lines] == [200, 200, 200, 401, 405]
    assert lines[2]["errorCode"] == "system.authentication_style_not_allowed"
    text = request_log.getvalue()
    for secret in (
        "demo-pos-secret",
        "demo-app-secret",
        "wrong",
        "Basic ",
        GIFT,
        "ZGVtby1wb3M6",
    ):  # base64 of "demo-pos:"
        assert secret not in text


def test_metrics_count_calls_by_endpoint_and_result(client: TestClient) -> None:
    def count() -> float:
        page = client.get("/metrics").text
        found = re.search(
            r'openpxs_requests_total\{endpoint="transaction/status.json",'
            r'result="authorizedSuccess",status="200"\} ([0-9.]+)',
            page,
        )
        return float(found.group(1)) if found else 0.0

    before = count()
    for _ in range(3):
        assert (
            client.post("/rest/24.11/transaction/status.json", json={}, auth=POS).status_code == 200
        )
    assert count() == before + 3
    client.get("/rest/24.11/nope/random-path-123.json", auth=POS)
    assert "random-path-123" not in client.get("/metrics").text


def test_every_validation_problem_is_named_up_to_a_bound(client: TestClient) -> None:
    reply = refused(
        call(client, "addRedeem", {"authentication": "b2b"}), "transaction.invalid_request"
    )
    assert "headerInfo is required" in reply["errorMessage"], reply
    assert "cardInfo is required" in reply["errorMessage"], reply
    assert "more problem" not in reply["errorMessage"]
    many = {
        "headerInfo": header(),
        "cardInfo": card(GIFT),
        "addWalletContents": [{"walletCode": "x", "quantity": "1"}] * 12,
        "redeemWalletContents": [],
    }
    reply = refused(call(client, "addRedeem", many), "transaction.invalid_request")
    named = reply["errorMessage"].count("walletCode")
    assert named == 10, reply
    assert reply["errorMessage"].endswith("; and 2 more problems"), reply

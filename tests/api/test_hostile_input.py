"""Input built to break the server gets a clear refusal, never a 500, and moves nothing."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from openpxs.domain.money import MAX_BALANCE, MAX_QUANTITY
from openpxs.wire.decoding import MAX_OBJECT_MEMBERS
from openpxs.wire.registry import REGISTRY, Endpoint
from tests.api.guests import APP, rest
from tests.api.pos import (
    GIFT,
    LOYALTY,
    POS,
    add_redeem,
    add_redeem_body,
    balance,
    call,
    card,
    header,
    ok,
    refused,
    sell,
    sv,
    unchanged,
)
from tests.api.security import build_members


def raw(client: TestClient, operation: str, text: str) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/rest/24.11/transaction/{operation}.json",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
        auth=POS,
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "number",
    ["1e999999", "1e-9999999", "-1E+401", "1" * 101, "0." + "0" * 100 + "1"],
)
def test_numbers_out_of_any_range_are_refused_as_unreadable(
    client: TestClient, number: str
) -> None:
    ok(sell(client, GIFT, "25.00"))
    template = json.dumps(add_redeem_body(GIFT, redeem=sv("1.00")))
    bodies = (
        template.replace('"merchantId": 1000', f'"merchantId": {number}'),
        template.replace('"quantity": "1.00"', f'"quantity": {number}'),
    )
    with unchanged(client, GIFT):
        for body in bodies:
            assert body != template
            status, reply = raw(client, "addRedeem", body)
            assert status == 400, reply
            assert reply["errorCode"] == "transaction.invalid_request"


def test_ordinary_doubles_in_unknown_members_are_ignored(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    body = {
        **add_redeem_body(GIFT, redeem=sv("1.00")),
        "latitude": -4.337781060089554e-118,
        "big": 1.7976931348623157e308,
    }
    assert ok(call(client, "addRedeem", body))["svCurrentBalance"] == "24.00"


def test_tiny_or_huge_quantities_are_refused_quickly(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for quantity in ("1e-300", "1e300", "1E-399"):
            text = json.dumps(add_redeem_body(GIFT, redeem=sv("1.00"))).replace(
                '"quantity": "1.00"', f'"quantity": {quantity}'
            )
            status, reply = raw(client, "addRedeem", text)
            assert status == 200
            assert reply["errorCode"] == "transaction.invalid_quantity", reply


def test_ids_wider_than_their_type_are_invalid_requests(client: TestClient) -> None:
    for operation, body in (
        ("reverse", {"headerInfo": header(programId="PX"), "pxTransactionId": 2**63}),
        ("voidBulkActivateAdd", {"headerInfo": header(), "pxTransactionId": "9" * 30}),
        ("balanceInquiry", {"headerInfo": header(merchantId=2**31), "cardInfo": card(GIFT)}),
    ):
        refused(call(client, operation, body), "transaction.invalid_request")


def test_expiration_on_the_last_day_of_the_calendar_is_refused(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for day in ("9999-12-31",):
            far = sv("1.00", expiration={"date": day, "type": "absolute"})
            reply = call(client, "addRedeem", add_redeem_body(GIFT, add=far))
            refused(reply, "transaction.invalid_request")
            assert "too far ahead" in reply["errorMessage"]


def test_history_accepts_the_ends_of_the_calendar(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    body = {
        "headerInfo": header(),
        "cardInfo": card(GIFT),
        "dateStart": "0001-01-01",
        "dateEnd": "9999-12-31",
    }
    assert len(ok(call(client, "transactionHistory", body))["transactions"]) == 1


def test_nul_characters_are_refused_before_reaching_the_database(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for body in (
            add_redeem_body(GIFT + "\x00", redeem=sv("1.00")),
            add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="P\x00"),
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "extra\x00": 1},
        ):
            reply = refused(call(client, "addRedeem", body), "transaction.invalid_request")
            assert "NUL" in reply["errorMessage"]


def send(
    client: TestClient, path: str, body: dict[str, Any], auth: tuple[str, str] = POS
) -> dict[str, Any]:
    """POST a body as JSON text: json.dumps escapes a lone surrogate as "\\ud800", which
    is how a hostile client spells one (it cannot be sent as UTF-8)."""
    response = client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}, auth=auth
    )
    assert response.status_code < 500, response.text
    reply: dict[str, Any] = response.json()
    return reply


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"inner": value}
    return value


LONE = "\ud800"


def test_lone_surrogates_are_refused_as_invalid_requests(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        for body in (
            add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="P" + LONE),
            add_redeem_body(GIFT + LONE, redeem=sv("1.00")),
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "note" + LONE: 1},
            {**add_redeem_body(GIFT, redeem=sv("1.00")), "tags": ["a", "\udc00b"]},
        ):
            reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
            refused(reply, "transaction.invalid_request")
            assert "surrogate" in reply["errorMessage"], reply
    signing_in = {
        "merchantId": 1000,
        "authentication": "anonymous",
        "grant_type": "password",
        "username": "ada" + LONE,
        "password": "x",
    }
    reply = send(client, "/rest/24.11/oauth/requestGuestToken.json", signing_in, APP)
    assert reply["errorCode"] == "oauth.invalid_request", reply


def test_free_form_objects_nested_hundreds_deep_are_refused(client: TestClient) -> None:
    ok(sell(client, GIFT, "25.00"))
    with unchanged(client, GIFT):
        body = add_redeem_body(GIFT, redeem=sv("1.00"))
        body["headerInfo"]["extra"] = nested(300)
        reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
        refused(reply, "transaction.invalid_request")
        assert "nested more than" in reply["errorMessage"]
    check = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": "1001",
        "cardInfo": {"printedCardNumber": LOYALTY},
        "check": {"number": "1", "businessDate": "2026-11-26", "items": [], "subtotal": "0"},
        "receiptSettings": nested(300),
    }
    reply = send(client, "/rest/24.11/check/postAndAccruePoints.json", check)
    refused(reply, "check.invalid_request")
    # A few levels, as real receipt settings have, are still taken.
    assert "nested" not in send(
        client,
        "/rest/24.11/check/postAndAccruePoints.json",
        {**check, "receiptSettings": nested(5)},
    ).get("errorMessage", "")


def test_objects_with_too_many_members_are_refused(client: TestClient) -> None:
    body = add_redeem_body(GIFT, redeem=sv("1.00"))
    body["headerInfo"]["extra"] = {f"m{i}": i for i in range(MAX_OBJECT_MEMBERS + 1)}
    reply = send(client, "/rest/24.11/transaction/addRedeem.json", body)
    refused(reply, "transaction.invalid_request")
    assert "members" in reply["errorMessage"]


def test_a_balance_cannot_be_loaded_past_its_maximum(client: TestClient) -> None:
    largest = f"{MAX_QUANTITY}.00"
    loads = int(MAX_BALANCE / MAX_QUANTITY)
    ok(sell(client, GIFT, largest))
    for _ in range(loads - 1):
        ok(add_redeem(client, GIFT, add=sv(largest)))
    assert Decimal(ok(balance(client, GIFT))["svCurrentBalance"]) == MAX_BALANCE
    with unchanged(client, GIFT):
        for _ in range(3):
            reply = call(client, "addRedeem", add_redeem_body(GIFT, add=sv("0.01")))
            refused(reply, "transaction.amount_out_of_range")
            assert "1,000,000,000,000" in reply["errorMessage"]
    # The card goes on working: spending, then loading what was spent.
    ok(add_redeem(client, GIFT, redeem=sv("10.00")))
    ok(add_redeem(client, GIFT, add=sv("10.00")))
    assert Decimal(ok(balance(client, GIFT))["svCurrentBalance"]) == MAX_BALANCE


# Every served operation, fed what an attacker would send: the class of test that
# finds an operation (or a member) the wire layer's checks do not cover.

ENDPOINTS = REGISTRY.all()
MAX_SCHEMA_DEPTH = 6


def schema_paths(
    schema: dict[str, Any], defs: dict[str, Any], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, "string" or "object") of every member a request model declares, nested
    ones included (a list's members at index 0; a model nested in itself a few levels)."""
    if len(path) > MAX_SCHEMA_DEPTH:
        return
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("anyOf", []):
        yield from schema_paths(option, defs, path)
    kind = schema.get("type")
    if kind == "string" and path:
        yield path, "string"
    elif kind == "array" and "items" in schema:
        yield from schema_paths(schema["items"], defs, (*path, 0))
    elif kind == "object":
        if path:
            yield path, "object"
        for name, member in schema.get("properties", {}).items():
            yield from schema_paths(member, defs, (*path, name))


def members_of(ep: Endpoint) -> dict[tuple[str | int, ...], str]:
    schema = ep.request.model_json_schema()
    return dict(schema_paths(schema, schema.get("$defs", {})))


def placed(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at ``path``, creating what lies between."""
    copy = json.loads(json.dumps(body))
    here: Any = copy
    for step, following in itertools.pairwise(path):
        fresh: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            if not here or not isinstance(here[0], type(fresh)):
                here[:] = [fresh]
            here = here[0]
        else:
            if not isinstance(here.get(step), type(fresh)):
                here[step] = fresh
            here = here[step]
    last = path[-1]
    if isinstance(last, int):
        here[:] = [value]
    else:
        here[last] = value
    return copy


def credentials_for(ep: Endpoint) -> tuple[str, str]:
    return POS if ep.styles == ("b2b",) else APP


@pytest.fixture(scope="module")
def ordinary_seconds(session_client: TestClient) -> float:
    """How long an ordinary call takes here and now: the yardstick for "promptly"."""
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        ok(call(session_client, "status", {"headerInfo": header()}))
        timings.append(time.perf_counter() - started)
    return min(timings)


class Prompt:
    """Sends hostile requests; each must be answered without a 5xx, promptly (within
    a generous multiple of an ordinary call)."""

    def __init__(self, client: TestClient, ep: Endpoint, ordinary: float):
        self.client = client
        self.ep = ep
        self.bound = ordinary * 2000
        self.url = rest(ep.service.name, ep.operation)

    def send(self, what: str, **request: Any) -> Response:
        started = time.perf_counter()
        response = self.client.request(
            self.ep.method, self.url, auth=credentials_for(self.ep), **request
        )
        took = time.perf_counter() - started
        assert response.status_code < 500, (self.ep.path, what, response.text)
        assert took < self.bound, (self.ep.path, what, took, self.bound)
        assert response.json()["result"] != self.ep.service.success, (what, response.text)
        return response


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda ep: f"{ep.method} {ep.path}")
def test_every_operation_refuses_hostile_input_promptly(
    client: TestClient, ep: Endpoint, ordinary_seconds: float
) -> None:
    prompt = Prompt(client, ep, ordinary_seconds)
    members = members_of(ep)
    strings = [path for path, kind in members.items() if kind == "string"]
    objects = [path for path, kind in members.items() if kind == "object"]
    if ep.method == "POST":
        two_mb = b'{"x": "' + b"a" * 2 * 1024 * 1024 + b'"}'
        reply = prompt.send("2 MB", content=two_mb)
        # (A bulk sale may be larger, and is then refused by its model.)
        assert reply.status_code == (413 if ep.body_limit < len(two_mb) else 200)
        base = {"merchantId": 1000, **build_members(ep.request, {}, None)}
        for path in strings:
            hostile = json.dumps(placed(base, path, "x" + LONE))
            reply = prompt.send(f"surrogate at {path}", content=hostile)
            assert "surrogate" in reply.json()["errorMessage"], (path, reply.text)
        for path in objects:
            hostile = json.dumps(placed(base, path, nested(300)))
            reply = prompt.send(f"nested at {path}", content=hostile)
            assert "nested" in reply.json()["errorMessage"], (path, reply.text)
    else:
        # A query string cannot carry a lone surrogate (its UTF-8 bytes decode to
        # U+FFFD), NUL or a nested object, but a body nobody reads must not hurt either.
        prompt.send("2 MB body", content=b"a" * 2 * 1024 * 1024)
        for path in strings:
            if len(path) == 1:
                query = f"merchantId=1000&{path[0]}=%ED%A0%80&{path[0]}=%00"
                prompt.send(f"query at {path}", params=httpx.QueryParams(query))


def test_hostile_members_are_found_in_every_kind_of_request() -> None:
    add_redeem = members_of(REGISTRY.find("transaction", "addRedeem", "POST"))  # type: ignore[arg-type]
    assert add_redeem[("headerInfo", "posTransactionId")] == "string"
    assert add_redeem[("headerInfo",)] == "object"
    assert add_redeem[("addWalletContents", 0, "quantity")] == "string"
    post = members_of(REGISTRY.find("check", "postAndAccruePoints", "POST"))  # type: ignore[arg-type]
    assert post[("receiptSettings",)] == "object"

"""Check Service configuration endpoints: price-match discounts and reward details."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import price_match_discounts
from openpxs.wire.registry import REGISTRY
from tests.api.pos import POS, refused, run_db

BASE = "/rest/24.11/check"


def upload(client: TestClient, records: Any, store: str = "1001", **extra: Any) -> dict[str, Any]:
    body = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": store,
        "priceMatchDiscounts": records,
        **extra,
    }
    response = client.post(f"{BASE}/priceMatchDiscounts.json", json=body, auth=POS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def get(client: TestClient, operation: str, **params: Any) -> dict[str, Any]:
    query = {"authentication": "b2b", "merchantId": 1000, **params}
    response = client.get(f"{BASE}/{operation}.json", params=query, auth=POS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def success(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["result"] == "success", reply
    assert "errorCode" not in reply
    return reply


def stored_rows(client: TestClient) -> list[tuple[Any, ...]]:
    async def work(conn: Any) -> list[tuple[Any, ...]]:
        rows = await conn.execute(
            select(price_match_discounts).order_by(price_match_discounts.c.id)
        )
        return [tuple(r) for r in rows]

    result: list[tuple[Any, ...]] = run_db(client, work)
    return result


@contextmanager
def unchanged(client: TestClient) -> Iterator[None]:
    before = stored_rows(client)
    yield
    assert stored_rows(client) == before


FUEL = {
    "itemId": "UNLEADED",
    "discountPerUnit": "0.10",
    "startDatetime": "2026-03-01T06:00:00",
    "endDatetime": "2026-03-02T06:00:00-0400",
}
DIESEL = {"itemId": "DIESEL", "discountPerUnit": 0.125}


# --- POST check/priceMatchDiscounts.json -----------------------------------------------


def test_upload_then_read_every_store(client: TestClient) -> None:
    success(upload(client, [FUEL, DIESEL]))
    success(upload(client, [{"itemId": "UNLEADED", "discountPerUnit": "0.05"}], store="1002"))
    reply = success(get(client, "allPriceMatchDiscounts"))
    assert reply["priceMatchDiscounts"] == [
        {
            "itemId": "UNLEADED",
            "discountPerUnit": "0.10",
            # No zone means the merchant's local time (America/New_York, EST in March).
            "startDatetime": "2026-03-01T06:00:00-05:00",
            "endDatetime": "2026-03-02T05:00:00-05:00",
            "storeCode": "1001",
        },
        {"itemId": "DIESEL", "discountPerUnit": "0.125", "storeCode": "1001"},
        {"itemId": "UNLEADED", "discountPerUnit": "0.05", "storeCode": "1002"},
    ]


def test_an_upload_replaces_the_stores_list(client: TestClient) -> None:
    success(upload(client, [FUEL, DIESEL]))
    success(upload(client, [DIESEL]))
    items = [r["itemId"] for r in get(client, "allPriceMatchDiscounts")["priceMatchDiscounts"]]
    assert items == ["DIESEL"]
    success(upload(client, []))
    assert success(get(client, "allPriceMatchDiscounts"))["priceMatchDiscounts"] == []


def test_the_same_item_in_turn_is_fine(client: TestClient) -> None:
    later = {**FUEL, "startDatetime": "2026-03-02T06:00:00-0400", "endDatetime": None}
    success(upload(client, [FUEL, later]))
    assert len(stored_rows(client)) == 2


@pytest.mark.parametrize(
    ("records", "extra", "code"),
    [
        ([FUEL], {"storeCode": "nowhere"}, "check.invalid_store"),
        ([{**FUEL, "discountPerUnit": "0"}], {}, "check.invalid_request"),
        ([{**FUEL, "discountPerUnit": "-1"}], {}, "check.invalid_request"),
        ([{**FUEL, "discountPerUnit": "0.12345"}], {}, "check.invalid_request"),
        ([{**FUEL, "discountPerUnit": "cheap"}], {}, "check.invalid_request"),
        ([{"discountPerUnit": "0.10"}], {}, "check.invalid_request"),
        ([{**FUEL, "startDatetime": "soon"}], {}, "check.invalid_request"),
        ([{**FUEL, "endDatetime": "2026-03-01T05:00:00"}], {}, "check.invalid_request"),
        ([FUEL, {**FUEL, "discountPerUnit": "0.20"}], {}, "check.invalid_request"),
        ([DIESEL, DIESEL], {}, "check.invalid_request"),
        ([{**FUEL, "storeCode": "1002"}], {}, "check.invalid_request"),
        (None, {}, "check.invalid_request"),
        ([FUEL], {"merchantId": 2000}, "check.invalid_merchant"),
    ],
)
def test_upload_refusals_change_nothing(
    client: TestClient, records: Any, extra: dict[str, Any], code: str
) -> None:
    success(upload(client, [DIESEL]))
    with unchanged(client):
        refused(upload(client, records, **extra), code)


# --- GET check/priceMatchDiscounts.json ------------------------------------------------


def test_both_methods_are_served_on_one_path() -> None:
    assert set(REGISTRY.methods("check", "priceMatchDiscounts")) == {"GET", "POST"}


def test_read_one_stores_list(client: TestClient) -> None:
    success(upload(client, [FUEL]))
    success(upload(client, [DIESEL], store="1002"))
    reply = success(get(client, "priceMatchDiscounts", storeCode="1002"))
    assert reply["priceMatchDiscounts"] == [
        {"itemId": "DIESEL", "discountPerUnit": "0.125", "storeCode": "1002"}
    ]
    assert (
        success(get(client, "priceMatchDiscounts", storeCode="corp"))["priceMatchDiscounts"] == []
    )
    refused(get(client, "priceMatchDiscounts", storeCode="nowhere"), "check.invalid_store")
    refused(get(client, "priceMatchDiscounts"), "check.invalid_request")


# --- GET check/allPriceMatchDiscounts.json ---------------------------------------------


def test_all_price_match_discounts_refusals(client: TestClient) -> None:
    refused(get(client, "allPriceMatchDiscounts", merchantId=2000), "check.invalid_merchant")
    refused(get(client, "allPriceMatchDiscounts", merchantId="x"), "check.invalid_request")
    response = client.post(
        f"{BASE}/allPriceMatchDiscounts.json", json={"merchantId": 1000}, auth=POS
    )
    assert response.status_code == 405


# --- GET check/rewardDetails.json ------------------------------------------------------

FIVE_OFF = {
    "walletCode": 3,
    "name": "$5 Reward",
    "discountType": "SUBTOTAL",
    "discountAmount": "5.00",
}


def test_reward_details_lists_every_reward(client: TestClient) -> None:
    assert success(get(client, "rewardDetails"))["rewards"] == [FIVE_OFF]


def test_reward_details_of_chosen_wallets(client: TestClient) -> None:
    query = f"{BASE}/rewardDetails.json?merchantId=1000&walletCodes=3&walletCodes=3"
    response = client.get(query, auth=POS)
    assert success(response.json())["rewards"] == [FIVE_OFF]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"walletCodes": "2"}, "check.invalid_request"),  # points, not a reward
        ({"walletCodes": "99"}, "check.invalid_request"),
        ({"walletCodes": "abc"}, "check.invalid_request"),
        ({"merchantId": 2000}, "check.invalid_merchant"),
    ],
)
def test_reward_details_refusals(client: TestClient, params: dict[str, Any], code: str) -> None:
    refused(get(client, "rewardDetails", **params), code)

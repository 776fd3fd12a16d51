"""Helpers for calling the Check Service as a POS or an ordering site would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from openpxs.store.audit import audit
from tests.api.pos import POS, run_db


def item(
    item_id: str, price: str, *categories: str, qty: str = "1", **extra: Any
) -> dict[str, Any]:
    return {
        "itemId": item_id,
        "categories": [{"categoryId": c} for c in categories],
        "quantity": qty,
        "price": price,
        **extra,
    }


def a_check(number: str, *items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    subtotal = sum((Decimal(i["price"]) for i in items), Decimal(0))
    subtotal -= sum((Decimal(d["amount"]) for d in extra.get("discounts", [])), Decimal(0))
    return {
        "number": number,
        "businessDate": "2026-11-26",
        "items": list(items),
        "subtotal": str(subtotal),
        **extra,
    }


def check_call(
    client: TestClient, operation: str, body: dict[str, Any], auth: tuple[str, str] = POS
) -> dict[str, Any]:
    reply = client.post(
        f"/rest/24.11/check/{operation}.json",
        json={
            "authentication": "b2b",
            "merchantId": 1000,
            "storeCode": "1001",
            "agentName": "TestPOS",
            **body,
        },
        auth=auth,
    )
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def post_check(
    client: TestClient, card: str, check: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return check_call(
        client,
        "postAndAccruePoints",
        {
            "cardInfo": {"printedCardNumber": card},
            "check": check,
            "integrationIdentifier": "demo-pos",
            **extra,
        },
    )


def wallets(reply: dict[str, Any]) -> dict[int, str]:
    return {w["walletCode"]: w["balance"] for w in reply["walletBalances"]}


def moved(contents: list[dict[str, Any]]) -> dict[int, str]:
    return {c["walletCode"]: c["quantity"] for c in contents}


def audit_clean(client: TestClient) -> None:
    """The journal, the balances and the lots still agree."""

    async def problems(conn: Any) -> list[Any]:
        _, found = await audit(conn)
        return found

    assert run_db(client, problems) == []

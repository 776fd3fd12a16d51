"""The demo program against a real `openpxs demo` process: the issue's check scenario."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import database_kind
from tests.e2e.server import free_port, openpxs_command, start

POS = ("demo-pos", "demo-pos-secret")
CARD = "7000000000000003"


@pytest.fixture
def demo_server(tmp_path: Path, database_url: str, client: object) -> Iterator[tuple[str, str]]:
    # `client` empties the session database first, for the PostgreSQL pass.
    url = database_url if database_kind() == "postgresql" else f"sqlite:///{tmp_path / 'c.db'}"
    port = free_port()
    server = start(["demo", "--database", url], tmp_path / "server.log", port)
    try:
        yield f"http://127.0.0.1:{port}/rest/24.11/", url
    finally:
        server.terminate()
        server.wait(timeout=30)


def item(item_id: str, price: str, category: str) -> dict[str, Any]:
    return {
        "itemId": item_id,
        "price": price,
        "quantity": 1,
        "categories": [{"categoryId": category}],
    }


def check(number: str, *items: dict[str, Any]) -> dict[str, Any]:
    subtotal = sum(float(i["price"]) for i in items)
    return {
        "number": number,
        "businessDate": "2026-11-26",
        "items": list(items),
        "subtotal": f"{subtotal:.2f}",
    }


def test_demo_program_through_the_check_service(demo_server: tuple[str, str]) -> None:
    base, url = demo_server
    http = httpx.Client(base_url=base, auth=POS, timeout=30)

    def call(path: str, **body: Any) -> dict[str, Any]:
        reply = http.post(
            path,
            json={
                "authentication": "b2b",
                "merchantId": 1000,
                "storeCode": "1001",
                "agentName": "E2E",
                **body,
            },
        )
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def balances(reply: dict[str, Any]) -> dict[int, str]:
        return {w["walletCode"]: w["balance"] for w in reply["walletBalances"]}

    header = {
        "merchantId": 1000,
        "storeCode": "1001",
        "programId": "LP",
        "operatorId": "1",
        "senderId": "POS",
    }
    activated = call(
        "transaction/activate.json", headerInfo=header, cardInfo={"printedCardNumber": CARD}
    )
    assert activated["result"] == "authorizedSuccess"
    card = {"printedCardNumber": CARD}

    first = call(
        "check/postAndAccruePoints.json",
        cardInfo=card,
        check=check("1", item("B", "30.00", "FOOD"), item("W", "25.00", "ALCOHOL")),
    )
    assert (balances(first)[2], balances(first)[4]) == ("30", "1")
    repeat = call(
        "check/postAndAccruePoints.json",
        cardInfo=card,
        check=check("1", item("B", "30.00", "FOOD"), item("W", "25.00", "ALCOHOL")),
    )
    assert repeat["errorCode"] == "check.duplicate_check"

    featured = call(
        "check/postAndAccruePoints.json",
        cardInfo=card,
        check=check("2", item("F", "40.00", "FEATURED")),
    )
    assert (balances(featured)[2], balances(featured)[3]) == ("10", "1")

    offered = call(
        "check/computeApplicableRewards.json",
        cardInfo=card,
        check=check("3", item("S", "20.00", "FOOD")),
    )
    assert offered["subtotalDiscounts"][0]["walletCode"] == 3

    redeemed = call(
        "check/postAndAccruePointsWithRedeem.json",
        cardInfo=card,
        check=check("3", item("S", "20.00", "FOOD")),
        redeemWalletContents=[{"walletCode": 3, "quantity": 1}],
    )
    assert (balances(redeemed)[2], balances(redeemed)[3]) == ("25", "0")
    assert {c["walletCode"]: c["quantity"] for c in redeemed["addWalletContents"]}[2] == "15"

    reversed_ = call(
        "transaction/reverse.json",
        headerInfo={**header, "programId": "PX"},
        pxTransactionId=redeemed["pxTransactionId"],
    )
    assert (balances(reversed_)[2], balances(reversed_)[3]) == ("10", "1")

    coupon = call(
        "check/simulateCoupon.json",
        couponCode="WELCOME5",
        cardInfo=card,
        check=check("4", item("T", "25.00", "FOOD")),
    )
    assert coupon["subtotalDiscounts"][0]["discountAmount"] == "5.00"
    small = call(
        "check/simulateCoupon.json",
        couponCode="WELCOME5",
        cardInfo=card,
        check=check("5", item("T", "19.00", "FOOD")),
    )
    assert small["errorCode"] == "check.coupon_not_applicable"

    stored = http.get(
        "check/check.json",
        params={
            "authentication": "b2b",
            "merchantId": 1000,
            "storeCode": "1001",
            "checkNumber": "1",
            "agentName": "E2E",
        },
    ).json()
    assert stored["storedCheck"]["printedCardNumber"] == CARD

    audit = subprocess.run(
        [*openpxs_command(), "audit", "--database", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr

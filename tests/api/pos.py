"""Helpers for calling the Transaction Service as a POS would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

POS = ("demo-pos", "demo-pos-secret")
POS2 = ("demo2-pos", "demo2-pos-secret")
GIFT = "6000000000000001"
GIFT2 = "6000000000000002"
LOYALTY = "7000000000000001"
OTHER_MERCHANT_GIFT = "6100000000000001"


def header(**overrides: Any) -> dict[str, Any]:
    h: dict[str, Any] = {
        "merchantId": 1000, "storeCode": "1001", "operatorId": "0", "senderId": "POS",
        "programId": "SV", "terminalId": "1", "applicationId": "", "applicationVersion": "1",
    }
    h.update(overrides)
    return {k: v for k, v in h.items() if v is not None}


def card(number: str = GIFT, **extra: Any) -> dict[str, Any]:
    return {"printedCardNumber": number, "swipeFlag": False, **extra}


def sv(quantity: str | float | int, wallet: int = 1, **extra: Any) -> list[dict[str, Any]]:
    return [{"walletCode": wallet, "quantity": quantity, **extra}]


def call(client: TestClient, operation: str, body: dict[str, Any], auth: tuple[str, str] = POS,
         release: str = "24.11", **kwargs: Any) -> dict[str, Any]:
    response = client.post(f"/rest/{release}/transaction/{operation}.json", json=body, auth=auth,
                           **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def sell(client: TestClient, number: str = GIFT, amount: str = "25.00",
         pos_id: str | None = None) -> dict[str, Any]:
    body = {"authentication": "b2b", "headerInfo": header(posTransactionId=pos_id),
            "cardInfo": card(number, cardRegCode="1234"), "addWalletContents": sv(amount)}
    return call(client, "activateAdd", body)


def add_redeem(client: TestClient, number: str = GIFT, add: list[Any] | None = None,
               redeem: list[Any] | None = None, pos_id: str | None = None,
               program: str = "SV") -> dict[str, Any]:
    body = {"authentication": "b2b",
            "headerInfo": header(posTransactionId=pos_id, programId=program),
            "cardInfo": card(number), "addWalletContents": add or [],
            "redeemWalletContents": redeem or []}
    return call(client, "addRedeem", body)


def balance(client: TestClient, number: str = GIFT) -> dict[str, Any]:
    return call(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(number)})

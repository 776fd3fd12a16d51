"""Helpers for calling the Transaction Service as a POS would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.app import create_app
from openpxs.demo import install_demo
from openpxs.settings import Settings
from openpxs.store.tables import cards, idempotency_keys, journal, transactions

POS = ("demo-pos", "demo-pos-secret")
POS2 = ("demo2-pos", "demo2-pos-secret")
APP = ("demo-app", "demo-app-secret")
GIFT = "6000000000000001"
GIFT2 = "6000000000000002"
LOYALTY = "7000000000000001"
LOYALTY2 = "7000000000000002"
OTHER_MERCHANT_GIFT = "6100000000000001"
UNKNOWN_CARD = "6999999999999999"


def header(**overrides: Any) -> dict[str, Any]:
    h: dict[str, Any] = {
        "merchantId": 1000,
        "storeCode": "1001",
        "operatorId": "0",
        "senderId": "POS",
        "programId": "SV",
        "terminalId": "1",
        "applicationId": "",
        "applicationVersion": "1",
    }
    h.update(overrides)
    return {k: v for k, v in h.items() if v is not None}


def card(number: str = GIFT, **extra: Any) -> dict[str, Any]:
    return {"printedCardNumber": number, "swipeFlag": False, **extra}


def sv(quantity: str | float | int, wallet: int = 1, **extra: Any) -> list[dict[str, Any]]:
    return [{"walletCode": wallet, "quantity": quantity, **extra}]


def post(
    client: TestClient,
    operation: str,
    body: Any,
    auth: tuple[str, str] | None = POS,
    release: str = "24.11",
    **kwargs: Any,
) -> Response:
    return client.post(
        f"/rest/{release}/transaction/{operation}.json", json=body, auth=auth, **kwargs
    )


def call(
    client: TestClient,
    operation: str,
    body: dict[str, Any],
    auth: tuple[str, str] = POS,
    release: str = "24.11",
    **kwargs: Any,
) -> dict[str, Any]:
    response = post(client, operation, body, auth, release, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data: dict[str, Any] = response.json()
    return data


def ok(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["result"] == "authorizedSuccess", reply
    assert "errorCode" not in reply, reply
    return reply


def refused(reply: dict[str, Any], code: str, result: str = "failure") -> dict[str, Any]:
    """A refusal with exactly this result value and error code, and a message."""
    assert (reply["result"], reply.get("errorCode")) == (result, code), reply
    assert isinstance(reply["errorMessage"], str) and reply["errorMessage"], reply
    return reply


def user_error(reply: dict[str, Any], code: str) -> dict[str, Any]:
    return refused(reply, code, "userDataError")


def sell_body(
    number: str = GIFT,
    amount: str | float = "25.00",
    pos_id: str | None = None,
    **header_overrides: Any,
) -> dict[str, Any]:
    return {
        "authentication": "b2b",
        "headerInfo": header(posTransactionId=pos_id, **header_overrides),
        "cardInfo": card(number, cardRegCode="1234"),
        "addWalletContents": sv(amount),
    }


def sell(
    client: TestClient, number: str = GIFT, amount: str = "25.00", pos_id: str | None = None
) -> dict[str, Any]:
    return call(client, "activateAdd", sell_body(number, amount, pos_id))


def add_redeem_body(
    number: str = GIFT,
    add: list[Any] | None = None,
    redeem: list[Any] | None = None,
    pos_id: str | None = None,
    program: str = "SV",
    **header_overrides: Any,
) -> dict[str, Any]:
    return {
        "authentication": "b2b",
        "headerInfo": header(posTransactionId=pos_id, programId=program, **header_overrides),
        "cardInfo": card(number),
        "addWalletContents": add or [],
        "redeemWalletContents": redeem or [],
    }


def add_redeem(
    client: TestClient,
    number: str = GIFT,
    add: list[Any] | None = None,
    redeem: list[Any] | None = None,
    pos_id: str | None = None,
    program: str = "SV",
    **kwargs: Any,
) -> dict[str, Any]:
    return call(
        client, "addRedeem", add_redeem_body(number, add, redeem, pos_id, program), **kwargs
    )


def activate(
    client: TestClient, number: str = LOYALTY, pos_id: str | None = None, program: str = "LP"
) -> dict[str, Any]:
    body = {
        "headerInfo": header(posTransactionId=pos_id, programId=program),
        "cardInfo": card(number, cardRegCode="1234"),
    }
    return call(client, "activate", body)


def balance(client: TestClient, number: str = GIFT) -> dict[str, Any]:
    return call(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(number)})


def history(client: TestClient, number: str = GIFT, **filters: Any) -> dict[str, Any]:
    body = {"headerInfo": header(), "cardInfo": card(number), **filters}
    return call(client, "transactionHistory", body)


def wallets(reply: dict[str, Any]) -> dict[int, str]:
    """walletCode -> balance string of a reply's walletBalances."""
    return {w["walletCode"]: w["balance"] for w in reply["walletBalances"]}


def run_db(client: TestClient, work: Any, *args: Any) -> Any:
    """Run ``work(conn, *args)`` in a database transaction of the app's engine."""
    engine: AsyncEngine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> Any:
        async with engine.begin() as conn:
            return await work(conn, *args)

    assert client.portal is not None
    return client.portal.call(go)


async def _row_counts(conn: Any) -> tuple[int, ...]:
    counts = []
    for table in (transactions, journal, idempotency_keys):
        counts.append((await conn.execute(select(func.count()).select_from(table))).scalar_one())
    statuses = (
        await conn.execute(
            select(cards.c.status, func.count()).group_by(cards.c.status).order_by(cards.c.status)
        )
    ).all()
    return (*counts, *(tuple(r) for r in statuses))


def snapshot(client: TestClient, numbers: tuple[str, ...]) -> Any:
    """What a refused call must not change: replies about the cards and the row counts."""
    seen = [run_db(client, _row_counts)]
    for number in numbers:
        seen.append(balance(client, number))
        seen.append(history(client, number))
    return seen


@contextmanager
def unchanged(client: TestClient, *numbers: str) -> Iterator[None]:
    before = snapshot(client, numbers or (GIFT,))
    yield
    assert snapshot(client, numbers or (GIFT,)) == before


def insert_rows(client: TestClient, table: Any, rows: list[dict[str, Any]]) -> None:
    async def work(conn: Any) -> None:
        await conn.execute(insert(table), rows)

    run_db(client, work)


@contextmanager
def sqlite_demo(database: Path, gift_amount: str, **settings: Any) -> Iterator[TestClient]:
    """The demo on a SQLite file of the test's own, its gift card sold for
    ``gift_amount``, with no background worker (its sweeps' statements would be counted
    with the calls')."""
    url = f"sqlite:///{database}"
    asyncio.run(install_demo(url))
    app = create_app(
        Settings(database_url=url, log_level="WARNING", outbox_worker=False, **settings)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        ok(call(client, "activateAdd", sell_body(GIFT, gift_amount)))
        yield client

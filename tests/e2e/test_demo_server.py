"""The README's promise, end to end: `openpxs demo` serves a POS session over real HTTP.

Runs the installed `openpxs` command in a child process on a free port, against a
fresh SQLite file (or, in the PostgreSQL pass, the session's PostgreSQL database),
then drives the POS session of transaction.yaml with a plain HTTP client.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import database_kind
from tests.e2e.server import free_port, openpxs_command, start

AUTH = ("demo-pos", "demo-pos-secret")
GIFT, LOYALTY, NEW_LOYALTY = "6000000000000901", "7000000000000901", "7000000000000902"


@pytest.fixture
def demo_server(tmp_path: Path, database_url: str, client: object) -> Iterator[tuple[str, str]]:
    # `client` empties the session database first, for the PostgreSQL pass.
    url = database_url if database_kind() == "postgresql" else f"sqlite:///{tmp_path / 'd.db'}"
    port = free_port()
    server = start(["demo", "--database", url], tmp_path / "server.log", port)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base, url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pos_session_against_the_demo_server(demo_server: tuple[str, str]) -> None:
    base, url = demo_server
    http = httpx.Client(base_url=f"{base}/api/rest/16.3/transaction/", auth=AUTH, timeout=30)
    serial = iter(range(1, 1000))

    def pos(
        operation: str, program: str = "SV", pos_id: str | None = None, **body: Any
    ) -> dict[str, Any]:
        header = {
            "merchantId": "1000",
            "storeCode": "1001",
            "operatorId": "7",
            "senderId": "POS",
            "programId": program,
            "terminalId": "3",
            "posTransactionId": pos_id or f"E2E-{next(serial)}",
        }
        reply = http.post(
            f"{operation}.json", json={"authentication": "b2b", "headerInfo": header, **body}
        )
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    gift = {"printedCardNumber": GIFT, "cardRegCode": "1234"}
    load = [{"walletCode": 1, "quantity": "25.00"}]
    sold = pos("activateAdd", cardInfo=gift, addWalletContents=load)
    assert sold["result"] == "authorizedSuccess" and sold["svCurrentBalance"] == "25.00"
    again = pos("activateAdd", cardInfo=gift, addWalletContents=load)
    assert (again["result"], again["errorCode"]) == (
        "userDataError",
        "transaction.card_already_active",
    )
    assert pos("balanceInquiry", cardInfo=gift)["svCurrentBalance"] == "25.00"

    ten = {
        "cardInfo": gift,
        "addWalletContents": [],
        "redeemWalletContents": [{"walletCode": 1, "quantity": 10}],
    }
    redeemed = pos("addRedeem", pos_id="R-1", **ten)
    assert redeemed["svCurrentBalance"] == "15.00"
    assert pos("addRedeem", pos_id="R-1", **ten) == redeemed  # replayed, not redeemed twice
    over = pos(
        "addRedeem",
        cardInfo=gift,
        addWalletContents=[],
        redeemWalletContents=[{"walletCode": 1, "quantity": "15.01"}],
    )
    assert over["errorCode"] == "transaction.insufficient_balance"
    voided = pos("voidAddRedeem", pos_id="R-1", **ten)
    assert voided["result"] == "authorizedSuccess" and voided["svCurrentBalance"] == "25.00"

    reversed_sale = pos("reverse", program="PX", pxTransactionId=sold["pxTransactionId"])
    assert reversed_sale["result"] == "authorizedSuccess"
    inactive = pos("balanceInquiry", cardInfo=gift)
    assert inactive["errorCode"] == "transaction.card_not_active"

    batch = [{"printedCardNumber": f"60000000000008{n:02d}"} for n in range(100)]
    bulk = pos("bulkActivateAdd", cardInfos=batch, addWalletContents=load)
    assert bulk["result"] == "authorizedSuccess" and len(bulk["cardResults"]) == 100

    loyalty = {"printedCardNumber": LOYALTY, "cardRegCode": "1234"}
    assert pos("activate", program="LP", cardInfo=loyalty)["result"] == "authorizedSuccess"
    points = [{"walletCode": 2, "quantity": "40"}]
    pos(
        "addRedeem",
        program="LP",
        cardInfo=loyalty,
        addWalletContents=points,
        redeemWalletContents=[],
    )
    exchanged = pos(
        "exchange", program="LP", cardInfo=loyalty, newCardInfo={"printedCardNumber": NEW_LOYALTY}
    )
    assert exchanged["printedCardNumber"] == NEW_LOYALTY
    assert {b["walletCode"]: b["balance"] for b in exchanged["walletBalances"]}[2] == "40"

    history = pos("transactionHistory", cardInfo={"printedCardNumber": NEW_LOYALTY})
    kinds = [t["transactionType"] for t in history["transactions"]]
    assert kinds == ["exchange", "addRedeem", "activate"]
    wallets = pos("loadMap", program="PX")["wallets"]
    assert [w["walletCode"] for w in wallets] == [1, 2, 3, 4]

    audit = subprocess.run(
        [*openpxs_command(), "audit", "--database", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr

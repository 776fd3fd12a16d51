"""Read-only lookups: transactionHistory, accountQuery, checkinsQuery, loadMap, status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.store.tables import cards, checkins, users
from tests.api.guests import enroll
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    POS2,
    UNKNOWN_CARD,
    activate,
    add_redeem,
    balance,
    call,
    card,
    header,
    history,
    insert_rows,
    ok,
    refused,
    run_db,
    sell,
    sv,
    unchanged,
    user_error,
)


def local_today(clock: ShiftedClock) -> str:
    return clock.now().astimezone(ZoneInfo("America/New_York")).date().isoformat()


def days_ago(clock: ShiftedClock, days: int) -> str:
    return (
        clock.now().astimezone(ZoneInfo("America/New_York")).date() - timedelta(days=days)
    ).isoformat()


def test_history_newest_first_with_details(client: TestClient) -> None:
    sold = ok(sell(client, GIFT, "25.00", pos_id="S-1"))
    ok(add_redeem(client, GIFT, redeem=sv("10.00"), pos_id="R-1"))
    ok(add_redeem(client, GIFT, add=sv("2.50"), redeem=sv("1.00"), pos_id="R-2"))
    reply = ok(history(client, GIFT))
    entries = reply["transactions"]
    assert [e["transactionType"] for e in entries] == ["addRedeem", "addRedeem", "activateAdd"]
    assert [e["posTransactionNumber"] for e in entries] == ["R-2", "R-1", "S-1"]
    assert (
        entries[-1]["transactionIdLong"] == entries[-1]["transactionId"] == sold["pxTransactionId"]
    )
    assert [e["details"] for e in entries] == [
        [
            {
                "walletCode": 1,
                "walletName": "Stored Value",
                "accrued": "2.50",
                "redeemed": "1.00",
                "balance": "16.50",
            }
        ],
        [
            {
                "walletCode": 1,
                "walletName": "Stored Value",
                "accrued": "0.00",
                "redeemed": "10.00",
                "balance": "15.00",
            }
        ],
        [
            {
                "walletCode": 1,
                "walletName": "Stored Value",
                "accrued": "25.00",
                "redeemed": "0.00",
                "balance": "25.00",
            }
        ],
    ]
    first = entries[0]
    assert (first["storeCode"], first["storeName"], first["cardNumber"]) == (
        "1001",
        "Downtown",
        GIFT,
    )
    assert datetime.fromisoformat(first["datetime"]).tzinfo is not None
    assert reply["walletInfo"] == [{"walletCode": 1, "name": "Stored Value", "scale": 2}]


def test_history_filters(client: TestClient, clock: ShiftedClock) -> None:
    clock.offset = timedelta(days=-10)
    ok(activate(client, LOYALTY, pos_id="A"))
    ok(add_redeem(client, LOYALTY, add=sv("10", wallet=2), program="LP", pos_id="D10"))
    clock.offset = timedelta(days=-5)
    ok(add_redeem(client, LOYALTY, add=sv("5", wallet=2), program="LP", pos_id="D5"))
    clock.offset = timedelta()
    ok(add_redeem(client, LOYALTY, add=sv("1", wallet=2), program="LP", pos_id="D0"))

    def ids(**filters: Any) -> list[str]:
        return [
            e["posTransactionNumber"]
            for e in ok(history(client, LOYALTY, **filters))["transactions"]
        ]

    assert ids() == ["D0", "D5", "D10", "A"]
    assert ids(dateStart=days_ago(clock, 7), dateEnd=days_ago(clock, 3)) == ["D5"]
    assert ids(dateStart=days_ago(clock, 7)) == ["D0", "D5"]
    assert ids(startDate=days_ago(clock, 7)) == ["D0", "D5"]
    assert ids(dateEnd=days_ago(clock, 7)) == ["D10", "A"]
    assert ids(dateStart=local_today(clock), dateEnd=local_today(clock)) == ["D0"]
    assert ids(maxNumberOfResults=2) == ["D0", "D5"]
    assert ids(limitToBalanceAffectingTransactions=True) == ["D0", "D5", "D10"]
    assert ids(limitToBalanceAffectingTransactions=True, maxNumberOfResults=1) == ["D0"]
    assert ids(dateStart=days_ago(clock, 1), dateEnd=days_ago(clock, 2)) == []


def test_history_refusals(client: TestClient) -> None:
    ok(sell(client, GIFT))
    assert ok(history(client, GIFT2))["transactions"] == []
    with unchanged(client, GIFT):
        user_error(history(client, UNKNOWN_CARD), "transaction.card_not_found")
        refused(history(client, GIFT, dateStart="yesterday"), "transaction.invalid_request")
        refused(history(client, GIFT, maxNumberOfResults=0), "transaction.invalid_request")
        refused(
            call(client, "transactionHistory", {"headerInfo": header()}),
            "transaction.invalid_request",
        )
        refused(
            call(
                client,
                "transactionHistory",
                {"headerInfo": header(merchantId=2000), "cardInfo": card(GIFT)},
            ),
            "transaction.invalid_merchant",
        )


def seed_guests(client: TestClient) -> int:
    account = ok(activate(client, LOYALTY))
    insert_rows(
        client,
        users,
        [
            {
                "merchant_id": 1000,
                "account_id": card_column(client, LOYALTY, "account_id"),
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "phone": "6175550100",
                "postal_code": "02108",
            }
        ],
    )
    return int(account["pxTransactionId"])


def card_column(client: TestClient, number: str, column: str) -> int:
    async def work(conn: Any) -> int:
        return int(
            (
                await conn.execute(
                    select(cards.c[column]).where(
                        cards.c.merchant_id == 1000, cards.c.printed_card_number == number
                    )
                )
            ).scalar_one()
        )

    return int(run_db(client, work))


def query(client: TestClient, *queries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return call(
        client, "accountQuery", {"headerInfo": header(), "accountQueries": list(queries), **extra}
    )


def test_account_query(client: TestClient) -> None:
    seed_guests(client)
    found = ok(query(client, {"phone": "(617) 555-0100"}))
    assert found["accounts"] == [
        {
            "accountId": card_column(client, LOYALTY, "account_id"),
            "printedCardNumber": LOYALTY,
            "fieldValues": {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": "ada@example.com",
                "phone": "6175550100",
                "postalCode": "02108",
            },
        }
    ]
    assert ok(query(client, {"lastName": "LOVELACE", "postalCode": "02108"}))["accounts"]
    assert ok(query(client, {"email": "nobody@example.com"}))["accounts"] == []
    assert ok(query(client, {"lastName": "Lovelace", "firstName": "Bob"}))["accounts"] == []
    assert len(ok(query(client, {"email": "x@y.z"}, {"firstName": "ada"}))["accounts"]) == 1


def test_account_query_finds_a_phone_number_however_it_was_written(client: TestClient) -> None:
    number = enroll(client, "grace", mobilePhone=["+1 (617) 555-0199"])["printedCardNumber"]
    for asked in ("16175550199", "1.617.555.0199", "+1 617 555 0199"):
        found = ok(query(client, {"phone": asked}))
        assert [a["printedCardNumber"] for a in found["accounts"]] == [number], asked
    assert ok(query(client, {"phone": "6175550199"}))["accounts"] == []


def test_account_query_refusals(client: TestClient) -> None:
    refused(query(client, {}), "transaction.invalid_request")
    refused(call(client, "accountQuery", {"headerInfo": header()}), "transaction.invalid_request")
    refused(query(client, {"phone": "1"}, pageSize=0), "transaction.invalid_request")
    refused(
        call(
            client,
            "accountQuery",
            {"headerInfo": header(merchantId=2000), "accountQueries": [{"phone": "1"}]},
        ),
        "transaction.invalid_merchant",
    )


def test_checkins_query(client: TestClient, clock: ShiftedClock) -> None:
    seed_guests(client)
    now = clock.now()
    base = {
        "merchant_id": 1000,
        "account_id": card_column(client, LOYALTY, "account_id"),
        "card_id": card_column(client, LOYALTY, "id"),
    }
    insert_rows(
        client,
        checkins,
        [
            {
                **base,
                "store_code": "1001",
                "short_card_number": "4242",
                "checked_in_at": now - timedelta(minutes=5),
                "expires_at": now + timedelta(hours=1),
            },
            {
                **base,
                "store_code": "1001",
                "short_card_number": "1111",
                "checked_in_at": now - timedelta(hours=3),
                "expires_at": now - timedelta(hours=1),
            },
            {
                **base,
                "store_code": "1002",
                "short_card_number": "2222",
                "checked_in_at": now - timedelta(minutes=1),
                "expires_at": now + timedelta(hours=1),
            },
        ],
    )
    found = ok(call(client, "checkinsQuery", {"headerInfo": header()}))["checkins"]
    assert [(c["printedCardNumber"], c["shortCardNumber"], c["firstName"]) for c in found] == [
        (LOYALTY, "4242", "Ada")
    ]
    assert datetime.fromisoformat(found[0]["checkinDatetime"]) == (
        now - timedelta(minutes=5)
    ).astimezone(UTC)
    assert (
        ok(call(client, "checkinsQuery", {"headerInfo": header(storeCode="corp")}))["checkins"]
        == []
    )
    refused(
        call(client, "checkinsQuery", {"headerInfo": header(storeCode="nope")}),
        "transaction.invalid_store",
    )
    refused(call(client, "checkinsQuery", {}), "transaction.invalid_request")


def test_load_map(client: TestClient) -> None:
    everything = ok(call(client, "loadMap", {"headerInfo": header(programId="PX")}))["wallets"]
    assert [(w["walletCode"], w["walletName"], w["scale"]) for w in everything] == [
        (1, "Stored Value", 2),
        (2, "Points", 0),
        (3, "$5 Reward", 0),
        (4, "Visits", 0),
    ]
    reward = everything[2]
    assert reward["valueAmount"] == "5.00"
    assert {w["walletType"] for w in everything} == {1, 2, 3, 4}
    sv_only = ok(call(client, "loadMap", {"headerInfo": header(programId="SV")}))["wallets"]
    assert [w["walletCode"] for w in sv_only] == [1]
    lp = ok(call(client, "loadMap", {"headerInfo": header(programId="LP", merchantId="1000")}))
    assert [w["walletCode"] for w in lp["wallets"]] == [2, 3, 4]
    other = ok(
        call(
            client,
            "loadMap",
            {"headerInfo": header(merchantId=2000, storeCode="corp", programId="PX")},
            auth=POS2,
        )
    )
    assert [w["walletCode"] for w in other["wallets"]] != []
    refused(
        call(client, "loadMap", {"headerInfo": header(merchantId=2000, programId="PX")}),
        "transaction.invalid_merchant",
    )
    refused(
        call(client, "loadMap", {"headerInfo": header(programId="XX")}),
        "transaction.invalid_request",
    )


def test_status(client: TestClient) -> None:
    ok(sell(client, GIFT))
    with unchanged(client, GIFT):
        assert call(client, "status", {}) == {"result": "authorizedSuccess"}
        assert call(client, "status", {"authentication": "b2b", "headerInfo": header()}) == {
            "result": "authorizedSuccess"
        }
        refused(
            call(client, "status", {"headerInfo": header(merchantId=2000)}),
            "transaction.invalid_merchant",
        )
    assert balance(client, GIFT)["svCurrentBalance"] == "25.00"

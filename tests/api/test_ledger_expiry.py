"""Value with an expiry, through HTTP: spendable until the end of its local day, then
written off as its own transaction; the sweep command does the same for idle cards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.domain.clock import ShiftedClock, end_of_day, local_date
from openpxs.store.audit import audit
from openpxs.store.tables import lots, transactions
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    activate,
    add_redeem,
    add_redeem_body,
    balance,
    call,
    history,
    ok,
    run_db,
    sell,
    sv,
    wallets,
)

ZONE = "America/New_York"


def set_time(clock: ShiftedClock, instant: datetime) -> None:
    """Make the server's clock read (a few milliseconds after) ``instant``."""
    clock.offset = instant - datetime.now(UTC)


def server_today(clock: ShiftedClock) -> date:
    return local_date(clock.now(), ZONE)


def expiring(quantity: str, day: date, wallet: int = 1) -> list[dict[str, Any]]:
    return sv(quantity, wallet, expiration={"date": day.isoformat(), "type": "absolute"})


def admin_adjust(
    client: TestClient, number: str, wallet: int, quantity: str, activity: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "authentication": "b2b",
        "merchantId": 1000,
        "storeCode": "1001",
        "printedCardNumber": number,
        "walletCode": wallet,
        "quantity": quantity,
        "activityType": activity,
        **extra,
    }
    return call(client, "adminAdjust", body)


def refused_with(reply: dict[str, Any], code: str) -> None:
    assert reply["result"] != "authorizedSuccess" and reply.get("errorCode") == code, reply


def assert_audit_clean(client: TestClient) -> None:
    checked, problems = run_db(client, audit)
    assert problems == []
    assert checked > 0


def expire_entries(client: TestClient, number: str) -> list[dict[str, Any]]:
    return [t for t in history(client, number)["transactions"] if t["transactionType"] == "expire"]


def test_added_value_is_spendable_until_the_end_of_its_local_day(
    client: TestClient, clock: ShiftedClock
) -> None:
    ok(sell(client, GIFT, "1.00"))
    day = server_today(clock) + timedelta(days=3)
    added = ok(add_redeem(client, GIFT, add=expiring("5.00", day)))
    assert added["addWalletContents"] == [
        {
            "walletCode": 1,
            "quantity": "5.00",
            "expiration": {"date": day.isoformat(), "type": "absolute"},
        }
    ]
    assert added["svCurrentBalance"] == "6.00"
    ends = end_of_day(day, ZONE)

    set_time(clock, ends - timedelta(minutes=1))  # 23:59 on the expiry day, New York
    assert local_date(clock.now(), ZONE) == day
    spent = ok(add_redeem(client, GIFT, redeem=sv("4.00")))
    assert spent["svCurrentBalance"] == "2.00"

    set_time(clock, ends + timedelta(minutes=1))  # 00:01 the next day
    assert local_date(clock.now(), ZONE) == day + timedelta(days=1)
    refused_with(add_redeem(client, GIFT, redeem=sv("1.01")), "transaction.insufficient_balance")
    assert balance(client, GIFT)["svCurrentBalance"] == "1.00"
    ok(add_redeem(client, GIFT, redeem=sv("1.00")))

    [expired] = expire_entries(client, GIFT)
    assert expired["details"] == [
        {
            "walletCode": 1,
            "walletName": "Stored Value",
            "accrued": "0.00",
            "redeemed": "1.00",
            "balance": "1.00",
        }
    ]
    assert expired.get("storeCode") is None and expired.get("posTransactionNumber") is None
    assert_audit_clean(client)


def test_spending_takes_the_soonest_expiring_value_first(
    client: TestClient, clock: ShiftedClock
) -> None:
    ok(sell(client, GIFT, "10.00"))  # never expires
    today = server_today(clock)
    ok(add_redeem(client, GIFT, add=expiring("3.00", today + timedelta(days=9))))
    ok(add_redeem(client, GIFT, add=expiring("2.00", today + timedelta(days=2))))
    ok(add_redeem(client, GIFT, redeem=sv("4.00")))  # 2.00 soon, then 2.00 of the later lot

    set_time(clock, end_of_day(today + timedelta(days=2), ZONE) + timedelta(seconds=1))
    assert balance(client, GIFT)["svCurrentBalance"] == "11.00"  # nothing left to lapse
    assert expire_entries(client, GIFT) == []

    set_time(clock, end_of_day(today + timedelta(days=9), ZONE) + timedelta(seconds=1))
    assert balance(client, GIFT)["svCurrentBalance"] == "10.00"  # the 1.00 left lapsed
    [expired] = expire_entries(client, GIFT)
    assert expired["details"][0]["redeemed"] == "1.00"
    assert_audit_clean(client)


def test_admin_adjust_with_expiration(client: TestClient, clock: ShiftedClock) -> None:
    ok(activate(client, LOYALTY))
    today = server_today(clock)
    soon, later = today + timedelta(days=1), today + timedelta(days=5)
    ok(
        admin_adjust(
            client,
            LOYALTY,
            2,
            "50",
            "ADD",
            expiration={"date": later.isoformat(), "type": "absolute"},
        )
    )
    # The third-party form: a bare date string.
    added = ok(admin_adjust(client, LOYALTY, 2, "100", "ADD", expiration=soon.isoformat()))
    assert wallets(added)[2] == "150"
    ok(admin_adjust(client, LOYALTY, 2, "30", "REDEEM", comment="spends the soonest first"))

    set_time(clock, end_of_day(soon, ZONE) - timedelta(minutes=1))
    assert wallets(balance(client, LOYALTY))[2] == "120"
    set_time(clock, end_of_day(soon, ZONE) + timedelta(minutes=1))
    assert wallets(balance(client, LOYALTY))[2] == "50"
    refused_with(
        admin_adjust(client, LOYALTY, 2, "51", "REDEEM"), "transaction.insufficient_balance"
    )
    refused_with(
        add_redeem(client, LOYALTY, redeem=sv("51", 2), program="LP"),
        "transaction.insufficient_balance",
    )
    [expired] = expire_entries(client, LOYALTY)
    assert [(d["walletCode"], d["redeemed"], d["balance"]) for d in expired["details"]] == [
        (2, "70", "50")
    ]

    set_time(clock, end_of_day(later, ZONE) + timedelta(minutes=1))
    assert wallets(balance(client, LOYALTY))[2] == "0"
    assert len(expire_entries(client, LOYALTY)) == 2
    assert_audit_clean(client)


def test_expiration_in_the_past_is_refused(client: TestClient, clock: ShiftedClock) -> None:
    ok(sell(client, GIFT, "1.00"))
    yesterday = server_today(clock) - timedelta(days=1)
    reply = add_redeem(client, GIFT, add=expiring("5.00", yesterday))
    refused_with(reply, "transaction.invalid_request")
    assert balance(client, GIFT)["svCurrentBalance"] == "1.00"
    # Today is still allowed: it lasts until local midnight.
    ok(add_redeem(client, GIFT, add=expiring("5.00", server_today(clock))))
    assert balance(client, GIFT)["svCurrentBalance"] == "6.00"


def test_reversing_a_redemption_of_lapsed_value_does_not_revive_it(
    client: TestClient, clock: ShiftedClock
) -> None:
    ok(sell(client, GIFT, "1.00"))
    day = server_today(clock) + timedelta(days=1)
    ok(add_redeem(client, GIFT, add=expiring("5.00", day)))
    spent = ok(add_redeem(client, GIFT, redeem=sv("4.00")))
    set_time(clock, end_of_day(day, ZONE) + timedelta(minutes=1))
    body = {
        "headerInfo": {"merchantId": 1000, "storeCode": "1001", "programId": "SV"},
        "pxTransactionId": spent["pxTransactionId"],
    }
    reversed_ = ok(call(client, "reverse", body))
    # The 4.00 goes back to the lot it came from, which has lapsed: it is not spendable
    # and the reply must not show it as balance.
    assert reversed_["svCurrentBalance"] == "1.00"
    assert balance(client, GIFT)["svCurrentBalance"] == "1.00"
    refused_with(add_redeem(client, GIFT, redeem=sv("1.01")), "transaction.insufficient_balance")
    assert_audit_clean(client)


def test_audit_command_is_clean_after_expiries(
    client: TestClient, clock: ShiftedClock, database_url: str
) -> None:
    ok(sell(client, GIFT, "10.00"))
    day = server_today(clock)
    ok(add_redeem(client, GIFT, add=expiring("5.00", day), redeem=sv("7.50")))
    set_time(clock, end_of_day(day, ZONE))
    assert balance(client, GIFT)["svCurrentBalance"] == "7.50"
    result = CliRunner().invoke(cli, ["audit", "--database", database_url])
    assert result.exit_code == 0, result.output
    assert "audit clean" in result.output


def _counts(conn: Any) -> Any:
    async def go() -> tuple[int, list[tuple[int, int]]]:
        kinds = [r.kind for r in await conn.execute(select(transactions.c.kind))]
        remaining = [
            (r.id, r.remaining_units)
            for r in await conn.execute(
                select(lots.c.id, lots.c.remaining_units).order_by(lots.c.id)
            )
        ]
        return kinds.count("expire"), remaining

    return go()


def test_expire_command_writes_off_lapsed_value(
    client: TestClient, clock: ShiftedClock, database_url: str
) -> None:
    # The sweep runs on the real clock, so the value is added "in the past": the server's
    # clock is put back ten days, when an expiry three days ahead was allowed.
    set_time(clock, datetime.now(UTC) - timedelta(days=10))
    past_day = server_today(clock) + timedelta(days=3)
    ok(sell(client, GIFT, "2.00"))
    ok(add_redeem(client, GIFT, add=expiring("5.00", past_day), redeem=sv("1.00")))
    ok(sell(client, GIFT2, "3.00"))
    ok(add_redeem(client, GIFT2, add=expiring("4.00", past_day + timedelta(days=30))))
    clock.offset = timedelta(0)
    assert run_db(client, _counts)[0] == 0

    result = CliRunner().invoke(cli, ["expire", "--database", database_url])
    assert result.exit_code == 0, result.output
    assert "expired value on 1 account\n" in result.output
    expired, remaining = run_db(client, _counts)
    assert expired == 1
    # GIFT: 2.00 never-expiring, 4.00 lapsed (written off); GIFT2: 3.00 and 4.00 alive.
    assert sorted(units for _, units in remaining) == [0, 20_000, 30_000, 40_000]
    [entry] = expire_entries(client, GIFT)
    assert entry["details"][0]["redeemed"] == "4.00"
    assert balance(client, GIFT)["svCurrentBalance"] == "2.00"
    assert balance(client, GIFT2)["svCurrentBalance"] == "7.00"
    assert expire_entries(client, GIFT2) == []

    again = CliRunner().invoke(cli, ["expire", "--database", database_url])
    assert again.exit_code == 0 and "expired value on 0 accounts" in again.output
    assert run_db(client, _counts)[0] == 1
    assert_audit_clean(client)


def test_a_load_can_be_voided_after_its_expiration_date(
    client: TestClient, clock: ShiftedClock
) -> None:
    ok(sell(client, GIFT, "10.00"))
    day = server_today(clock) + timedelta(days=1)
    load = add_redeem_body(GIFT, add=expiring("5.00", day), pos_id="load-1")
    ok(call(client, "addRedeem", load))
    ok(add_redeem(client, GIFT, redeem=sv("5.00")))  # spends the expiring 5.00
    set_time(clock, end_of_day(day, ZONE) + timedelta(hours=1))
    # The POS resends the original body, expiration date and all, to void it; the date
    # has passed, but it only identifies what is voided.
    voided = ok(call(client, "voidAddRedeem", load))
    assert voided["svCurrentBalance"] == "5.00"  # the spent 5.00 comes from other value
    assert balance(client, GIFT)["svCurrentBalance"] == "5.00"
    assert expire_entries(client, GIFT) == []
    assert_audit_clean(client)


def test_value_outside_the_new_cards_template_still_lapses(
    client: TestClient, clock: ShiftedClock
) -> None:
    """A loyalty account moved onto a gift card keeps its points, and they still expire."""
    ok(activate(client, LOYALTY))
    tomorrow = server_today(clock) + timedelta(days=1)
    ok(add_redeem(client, LOYALTY, add=expiring("40", tomorrow, wallet=2), program="LP"))
    exchange = {
        "headerInfo": {**header_of_store(), "programId": "PX"},
        "cardInfo": {"printedCardNumber": LOYALTY},
        "newCardInfo": {"printedCardNumber": GIFT},
    }
    ok(call(client, "exchange", exchange))
    set_time(clock, end_of_day(tomorrow, ZONE) + timedelta(minutes=1))
    ok(balance(client, GIFT))  # the gift template shows no points wallet
    lapsed = expire_entries(client, GIFT)
    assert [d["walletCode"] for d in lapsed[0]["details"]] == [2]
    assert lapsed[0]["details"][0]["redeemed"] == "40"
    assert_audit_clean(client)


def header_of_store() -> dict[str, Any]:
    return {"merchantId": 1000, "storeCode": "1001", "operatorId": "0", "senderId": "POS"}

"""Coupon Service: validate a code, record and void its uses (coupon.yaml)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.config.loyalty import Coupon
from openpxs.store.tables import coupon_uses
from tests.api.checks import a_check, check_call, item
from tests.api.pos import LOYALTY, LOYALTY2, POS, UNKNOWN_CARD, activate, refused, run_db
from tests.program_config import as_yaml, program_editor

BASE = "/rest/24.11/coupon"
WELCOME = 1  # demo coupon WELCOME5: $5 off $20+, once per account, no redeem wallet
WHEN = "2026-03-01T12:30:00"
OPENED = "2026-03-01T12:00:00"


def validate(client: TestClient, **params: Any) -> dict[str, Any]:
    query = {"authentication": "b2b", "merchantId": 1000, **params}
    response = client.get(f"{BASE}/validateCouponUsage.json", params=query, auth=POS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def usage(client: TestClient, operation: str, **members: Any) -> dict[str, Any]:
    body = {
        "authentication": "b2b",
        "merchantId": 1000,
        "couponId": WELCOME,
        "storeCode": "1001",
        "redemptionDatetime": WHEN,
        "checkOpenDatetime": OPENED,
        "operatorId": 7,
        "terminalId": "2",
        "checkNumber": "C-100",
        "integrationId": 5,
        **members,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(f"{BASE}/{operation}.json", json=body, auth=POS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def record(client: TestClient, **members: Any) -> dict[str, Any]:
    return usage(client, "recordCouponUsage", **members)


def void(client: TestClient, **members: Any) -> dict[str, Any]:
    return usage(client, "voidCouponUsage", **members)


def success(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["result"] == "success", reply
    assert "errorCode" not in reply, reply
    return reply


def uses(client: TestClient) -> list[dict[str, Any]]:
    async def work(conn: Any) -> list[dict[str, Any]]:
        rows = await conn.execute(select(coupon_uses).order_by(coupon_uses.c.id))
        return [dict(r._mapping) for r in rows]

    result: list[dict[str, Any]] = run_db(client, work)
    return result


@contextmanager
def unchanged(client: TestClient) -> Iterator[None]:
    before = uses(client)
    yield
    assert uses(client) == before


@pytest.fixture
def coupons(client: TestClient) -> Iterator[Callable[..., None]]:
    """Apply the demo program with extra coupons (the demo file has only WELCOME5)."""
    with program_editor(client) as change:

        def install(*extra: Coupon) -> None:
            change(lambda data: data["loyalty"]["coupons"].extend(as_yaml(c) for c in extra))

        yield install


def a_coupon(coupon_id: int, code: str, **rules: Any) -> Coupon:
    return Coupon.model_validate(
        {
            "id": coupon_id,
            "code": code,
            "name": f"Coupon {code}",
            "definition": {"kind": "amount_off_subtotal", "amount": "2.00"},
            **rules,
        }
    )


# --- validateCouponUsage ---------------------------------------------------------------


def test_validate_finds_the_coupon_by_code_in_any_case(client: TestClient) -> None:
    for code in ("WELCOME5", "welcome5", " Welcome5 "):
        reply = success(validate(client, couponCode=code, storeCode="1001"))
        # WELCOME5 names no redeem wallet, so none is reported.
        assert reply == {"result": "success", "couponId": WELCOME}
    assert uses(client) == []


def test_validate_reports_the_redeem_wallet(
    client: TestClient, coupons: Callable[..., None]
) -> None:
    coupons(a_coupon(5, "FREEFIVE", wallet=3))
    reply = success(validate(client, couponCode="FREEFIVE"))
    assert reply["redeemWallet"] == {"walletCode": 3, "name": "$5 Reward", "quantity": "1"}
    assert reply["couponId"] == 5


def test_validate_refuses_unknown_codes(client: TestClient) -> None:
    refused(validate(client, couponCode="NOPE"), "coupon.invalid_code")
    refused(validate(client), "coupon.invalid_code")
    refused(validate(client, couponCode=""), "coupon.invalid_code")


def test_validate_refuses_coupons_outside_their_dates(
    client: TestClient, coupons: Callable[..., None]
) -> None:
    coupons(
        a_coupon(2, "LATER", valid_from=date(2999, 1, 1)),
        a_coupon(3, "OLD", valid_until=date(2000, 1, 1)),
        a_coupon(4, "NOW", valid_from=date(2000, 1, 1), valid_until=date(2999, 1, 1)),
    )
    refused(validate(client, couponCode="LATER"), "coupon.not_active")
    refused(validate(client, couponCode="OLD"), "coupon.expired")
    success(validate(client, couponCode="NOW"))


def test_validate_checks_the_store(client: TestClient, coupons: Callable[..., None]) -> None:
    coupons(a_coupon(2, "RIVERSIDE", stores=["1002"]))
    refused(validate(client, couponCode="RIVERSIDE", storeCode="1001"), "coupon.invalid_store")
    refused(validate(client, couponCode="WELCOME5", storeCode="nowhere"), "coupon.invalid_store")
    success(validate(client, couponCode="RIVERSIDE", storeCode="1002"))
    # Without a store there is no store to refuse; recording always names one.
    success(validate(client, couponCode="RIVERSIDE"))


def test_validate_checks_the_cards_own_limit(client: TestClient) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    success(validate(client, couponCode="WELCOME5", printedCardNumber=LOYALTY))
    success(record(client, printedCardNumber=LOYALTY))
    refused(
        validate(client, couponCode="WELCOME5", printedCardNumber=LOYALTY),
        "coupon.usage_limit_reached",
    )
    success(validate(client, couponCode="WELCOME5", printedCardNumber=LOYALTY2))
    # Without a card the per-account limit cannot be judged; recording judges it.
    success(validate(client, couponCode="WELCOME5"))


def test_validate_refuses_unknown_or_inactive_cards(client: TestClient) -> None:
    refused(
        validate(client, couponCode="WELCOME5", printedCardNumber=UNKNOWN_CARD),
        "coupon.invalid_card",
    )
    refused(
        validate(client, couponCode="WELCOME5", printedCardNumber=LOYALTY), "coupon.invalid_card"
    )


def test_validate_acts_for_the_credentials_merchant_only(client: TestClient) -> None:
    refused(validate(client, couponCode="WELCOME5", merchantId=2000), "coupon.invalid_merchant")


def test_validate_is_get_only(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/validateCouponUsage.json",
        json={"merchantId": 1000, "couponCode": "WELCOME5"},
        auth=POS,
    )
    assert response.status_code == 405


# --- recordCouponUsage -----------------------------------------------------------------


def test_record_stores_one_use_linked_to_the_account(client: TestClient) -> None:
    account = activate(client, LOYALTY)
    assert account["result"] == "authorizedSuccess"
    success(record(client, printedCardNumber=LOYALTY))
    (row,) = uses(client)
    assert row["coupon_id"] == WELCOME
    assert row["account_id"] is not None
    assert row["printed_card_number"] == LOYALTY
    assert (row["store_code"], row["check_number"]) == ("1001", "C-100")
    assert (row["redemption_datetime"], row["check_open_datetime"]) == (WHEN, OPENED)
    assert (row["operator_id"], row["terminal_id"]) == ("7", "2")
    assert row["voided_at"] is None and row["transaction_id"] is None


def test_record_resent_counts_once(client: TestClient) -> None:
    activate(client, LOYALTY)
    success(record(client, printedCardNumber=LOYALTY))
    with unchanged(client):
        success(record(client, printedCardNumber=LOYALTY))
    # Another check on the same account is a second use: beyond the limit of one.
    with unchanged(client):
        refused(
            record(client, printedCardNumber=LOYALTY, checkNumber="C-101"),
            "coupon.usage_limit_reached",
        )


def test_record_without_card_or_check_number(client: TestClient) -> None:
    success(record(client, checkNumber=None))
    success(record(client, checkNumber=None))
    success(record(client, checkNumber=None, redemptionDatetime="2026-03-01T12:31:00"))
    rows = uses(client)
    assert len(rows) == 2
    assert all(r["account_id"] is None and r["check_number"] is None for r in rows)


def test_record_enforces_overall_limits(client: TestClient, coupons: Callable[..., None]) -> None:
    coupons(a_coupon(2, "ONCE", single_use=True), a_coupon(3, "TWICE", max_uses=2))
    success(record(client, couponId=2))
    with unchanged(client):
        refused(record(client, couponId=2, checkNumber="C-2"), "coupon.usage_limit_reached")
    refused(validate(client, couponCode="ONCE"), "coupon.usage_limit_reached")
    success(record(client, couponId=3, checkNumber="A"))
    success(record(client, couponId=3, checkNumber="B"))
    with unchanged(client):
        refused(record(client, couponId=3, checkNumber="C"), "coupon.usage_limit_reached")


def test_record_does_not_judge_dates_but_judges_stores(
    client: TestClient, coupons: Callable[..., None]
) -> None:
    """The use happened already (the coupon was validated before payment)."""
    coupons(a_coupon(2, "OLD", valid_until=date(2000, 1, 1)), a_coupon(3, "RIV", stores=["1002"]))
    success(record(client, couponId=2))
    with unchanged(client):
        refused(record(client, couponId=3, storeCode="1001"), "coupon.invalid_store")
    success(record(client, couponId=3, storeCode="1002"))


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ({"couponId": 99}, "coupon.invalid_coupon_id"),
        ({"couponId": "abc"}, "coupon.invalid_coupon_id"),
        ({"couponId": None}, "coupon.invalid_coupon_id"),
        ({"couponId": "99999999999999999999"}, "coupon.invalid_coupon_id"),
        ({"storeCode": "nowhere"}, "coupon.invalid_store"),
        ({"storeCode": None}, "coupon.invalid_store"),
        ({"redemptionDatetime": "2026-03-01 12:30:00"}, "coupon.invalid_datetime"),
        ({"redemptionDatetime": "2026-02-30T12:30:00"}, "coupon.invalid_datetime"),
        ({"redemptionDatetime": None}, "coupon.invalid_datetime"),
        ({"checkOpenDatetime": "2026-03-01T12:00"}, "coupon.invalid_datetime"),
        ({"checkOpenDatetime": None}, "coupon.invalid_datetime"),
        ({"printedCardNumber": UNKNOWN_CARD}, "coupon.invalid_card"),
        ({"printedCardNumber": LOYALTY2}, "coupon.invalid_card"),  # never activated
        ({"merchantId": 2000}, "coupon.invalid_merchant"),
    ],
)
def test_record_refusals_change_nothing(
    client: TestClient, members: dict[str, Any], code: str
) -> None:
    activate(client, LOYALTY)
    success(record(client, printedCardNumber=LOYALTY, checkNumber="first"))
    with unchanged(client):
        refused(record(client, **members), code)


# --- voidCouponUsage -------------------------------------------------------------------


def test_void_gives_the_use_back(client: TestClient) -> None:
    activate(client, LOYALTY)
    success(record(client, printedCardNumber=LOYALTY))
    success(void(client, printedCardNumber=LOYALTY))
    (row,) = uses(client)
    assert row["voided_at"] is not None
    success(validate(client, couponCode="WELCOME5", printedCardNumber=LOYALTY))
    # The same use sent again after its void is a new use, not a resend.
    success(record(client, printedCardNumber=LOYALTY))
    assert [r["voided_at"] is None for r in uses(client)] == [False, True]


def test_void_twice_is_already_voided(client: TestClient) -> None:
    success(record(client))
    success(void(client))
    with unchanged(client):
        refused(void(client), "coupon.already_voided")


def test_void_picks_the_matching_use(client: TestClient) -> None:
    success(record(client, redemptionDatetime="2026-03-01T12:10:00"))
    success(record(client, redemptionDatetime="2026-03-01T12:20:00"))
    success(void(client, redemptionDatetime="2026-03-01T12:10:00"))
    assert [r["voided_at"] is not None for r in uses(client)] == [True, False]
    # No use has this redemption time any more: the newest standing one goes.
    success(void(client, redemptionDatetime="2026-03-01T13:00:00"))
    assert all(r["voided_at"] is not None for r in uses(client))


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ({"checkNumber": None}, "coupon.check_number_required"),
        ({"checkNumber": ""}, "coupon.check_number_required"),
        ({"couponId": 99}, "coupon.invalid_coupon_id"),
        ({"checkNumber": "C-999"}, "coupon.usage_not_found"),
        ({"storeCode": "1002"}, "coupon.usage_not_found"),
        ({"checkOpenDatetime": "2026-03-01T11:00:00"}, "coupon.usage_not_found"),
        ({"checkOpenDatetime": "yesterday"}, "coupon.invalid_datetime"),
    ],
)
def test_void_refusals_change_nothing(
    client: TestClient, members: dict[str, Any], code: str
) -> None:
    success(record(client))
    with unchanged(client):
        refused(void(client, **members), code)


def test_a_use_without_check_number_cannot_be_voided(client: TestClient) -> None:
    success(record(client, checkNumber=None))
    with unchanged(client):
        refused(void(client, checkNumber=None), "coupon.check_number_required")
        refused(void(client, checkNumber="C-100"), "coupon.usage_not_found")


# --- agreement with the Check Service --------------------------------------------------


def test_a_recorded_use_counts_for_the_check_service(client: TestClient) -> None:
    activate(client, LOYALTY)
    body = {
        "check": a_check("S-1", item("BURGER", "25.00")),
        "couponCode": "WELCOME5",
        "cardInfo": {"printedCardNumber": LOYALTY},
    }
    assert check_call(client, "simulateCoupon", body)["result"] == "success"
    success(record(client, printedCardNumber=LOYALTY))
    refused(check_call(client, "simulateCoupon", body), "check.coupon_not_applicable")
    success(void(client))
    assert check_call(client, "simulateCoupon", body)["result"] == "success"

"""Checkin Service: a guest checks in at a store (checkin.yaml), over HTTP, and the POS
sees them in transaction/checkinsQuery.json."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.domain.clock import ShiftedClock
from openpxs.store.tables import checkins, external_accounts
from tests.api.guests import as_guest, body_of, enroll, gpost, sign_in
from tests.api.pos import LOYALTY, LOYALTY2, POS, activate, call, header, insert_rows, ok, run_db
from tests.program_config import program_editor

PHONE = "617-555-0123"


def stamp(when: datetime) -> str:
    """The documented checkinTime form, in Boston's summer offset."""
    return when.astimezone(datetime.strptime("-0400", "%z").tzinfo).strftime("%Y-%m-%d %H:%M:%S %z")


def checkin(
    client: TestClient,
    clock: ShiftedClock,
    account: dict[str, Any],
    auth: tuple[str, str] | None = POS,
    **members: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "authentication": "b2b",
        "storeCode": "1001",
        "checkinTime": stamp(clock.now()),
        "account": account,
        **members,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return body_of(gpost(client, "checkin", "checkinAccount", body, auth=auth))


def refused(reply: dict[str, Any], code: str) -> None:
    assert reply["result"] == "failure", reply
    assert reply["errorCode"] == code, reply


def live_at(client: TestClient, store: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        call(client, "checkinsQuery", {"headerInfo": header(storeCode=store)})
    )["checkins"]
    return found


def test_a_card_checkin_gives_a_short_number_and_the_pos_sees_the_guest(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    sent = clock.now()
    reply = checkin(client, clock, {"printedCardNumber": LOYALTY}, externalStoreCode="venue-9")
    assert reply["result"] == "success"
    assert reply["printedCardNumber"] == LOYALTY
    assert len(reply["shortCardNumber"]) == 3 and reply["shortCardNumber"].isdigit()
    expires = datetime.fromisoformat(reply["expirationTime"])
    # Sixty minutes (the demo's expiry), given in the offset the app sent.
    assert expires.utcoffset() == timedelta(hours=-4)
    assert expires - sent == pytest.approx(timedelta(minutes=60), abs=timedelta(seconds=1))
    [seen] = live_at(client, "1001")
    assert (seen["printedCardNumber"], seen["shortCardNumber"]) == (
        LOYALTY,
        reply["shortCardNumber"],
    )
    # Visible at that store only.
    assert live_at(client, "1002") == []

    async def rows(conn: Any) -> list[Any]:
        return list(await conn.execute(select(checkins.c.external_store_code)))

    assert [r.external_store_code for r in run_db(client, rows)] == ["venue-9"]


def test_a_corporate_checkin_is_merchant_wide_with_a_longer_number(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    reply = checkin(client, clock, {"printedCardNumber": LOYALTY}, storeCode=None)
    assert len(reply["shortCardNumber"]) == 4
    assert [c["printedCardNumber"] for c in live_at(client, "1001")] == [LOYALTY]
    assert [c["printedCardNumber"] for c in live_at(client, "1002")] == [LOYALTY]


def test_the_checkin_lapses_after_its_expiry(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    checkin(client, clock, {"printedCardNumber": LOYALTY})
    clock.offset += timedelta(minutes=61)
    assert live_at(client, "1001") == []


def test_check_in_by_mobile_phone(client: TestClient, clock: ShiftedClock) -> None:
    card = enroll(client, "ada", mobilePhone=[PHONE])["printedCardNumber"]
    reply = checkin(client, clock, {"mobilePhone": "(617) 555 0123"})
    assert reply["printedCardNumber"] == card
    [seen] = live_at(client, "1001")
    assert seen["firstName"] == "Ada"


def test_check_in_by_external_account(client: TestClient, clock: ShiftedClock) -> None:
    card = enroll(client, "ada")["printedCardNumber"]

    async def account_of(conn: Any) -> int:
        from openpxs.store.tables import cards

        row = await conn.execute(
            select(cards.c.account_id).where(cards.c.printed_card_number == card)
        )
        return int(row.scalar_one())

    account_id = run_db(client, account_of)
    insert_rows(
        client,
        external_accounts,
        [
            {
                "merchant_id": 1000,
                "account_id": account_id,
                "external_identifier": "social",
                "account_code": "fb-12345",
            }
        ],
    )
    reply = checkin(client, clock, {"externalAccountCode": "fb-12345"})
    assert reply["printedCardNumber"] == card


def test_a_guest_checks_in_only_themselves(client: TestClient, clock: ShiftedClock) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    token = sign_in(client, "ada")["access_token"]
    activate(client, LOYALTY2)
    own = checkin(client, clock, {"printedCardNumber": card}, auth=None, **as_guest(token))
    assert own["result"] == "success"
    other = checkin(client, clock, {"printedCardNumber": LOYALTY2}, auth=None, **as_guest(token))
    refused(other, "checkin.invalid_account")


def test_a_new_checkin_at_the_same_store_replaces_the_live_one(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    first = checkin(client, clock, {"printedCardNumber": LOYALTY})
    clock.offset += timedelta(minutes=6)
    second = checkin(client, clock, {"printedCardNumber": LOYALTY})
    [seen] = live_at(client, "1001")
    assert seen["shortCardNumber"] == second["shortCardNumber"]
    assert first["expirationTime"] != second["expirationTime"]


def test_checkins_too_close_together_are_refused(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    checkin(client, clock, {"printedCardNumber": LOYALTY})
    clock.offset += timedelta(minutes=4)
    refused(checkin(client, clock, {"printedCardNumber": LOYALTY}), "checkin.too_soon")
    clock.offset += timedelta(minutes=2)
    assert checkin(client, clock, {"printedCardNumber": LOYALTY})["result"] == "success"


def test_the_cap_per_period_is_enforced(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    for _ in range(5):
        assert checkin(client, clock, {"printedCardNumber": LOYALTY})["result"] == "success"
        clock.offset += timedelta(minutes=10)
    refused(checkin(client, clock, {"printedCardNumber": LOYALTY}), "checkin.too_many_checkins")
    clock.offset += timedelta(hours=24)
    assert checkin(client, clock, {"printedCardNumber": LOYALTY})["result"] == "success"


def test_without_short_numbers_configured_the_short_number_is_empty(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    with program_editor(client) as change:
        change(lambda data: data["places"].update(checkin={"expiry_minutes": 90}))
        sent = clock.now()
        reply = checkin(client, clock, {"printedCardNumber": LOYALTY})
    assert reply["shortCardNumber"] == ""
    expires = datetime.fromisoformat(reply["expirationTime"])
    assert expires - sent == pytest.approx(timedelta(minutes=90), abs=timedelta(seconds=1))


def test_short_numbers_of_live_checkins_differ(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    with program_editor(client) as change:
        change(lambda data: data["places"]["checkin"].update(store_short_length=2))
        a = checkin(client, clock, {"printedCardNumber": LOYALTY})
        b = checkin(client, clock, {"printedCardNumber": LOYALTY2})
    assert a["shortCardNumber"] != b["shortCardNumber"]


@pytest.mark.parametrize(
    ("account", "members", "code"),
    [
        ({"printedCardNumber": "7999999999999999"}, {}, "checkin.invalid_account"),
        ({"mobilePhone": "999-555-0000"}, {}, "checkin.invalid_account"),
        ({"externalAccountCode": "nobody"}, {}, "checkin.invalid_account"),
        ({}, {}, "checkin.invalid_request"),
        (
            {"printedCardNumber": LOYALTY, "mobilePhone": PHONE},
            {},
            "checkin.invalid_request",
        ),
        ({"printedCardNumber": LOYALTY}, {"storeCode": "9999"}, "checkin.invalid_store"),
        (
            {"printedCardNumber": LOYALTY},
            {"checkinTime": "yesterday"},
            "checkin.invalid_checkin_time",
        ),
        (
            {"printedCardNumber": LOYALTY},
            {"checkinTime": "2026-03-01 12:00:00"},
            "checkin.invalid_checkin_time",
        ),
        (
            {"printedCardNumber": LOYALTY},
            {"checkinTime": "2001-03-01 12:00:00 -0400"},
            "checkin.invalid_checkin_time",
        ),
    ],
)
def test_refusals(
    client: TestClient,
    clock: ShiftedClock,
    account: dict[str, Any],
    members: dict[str, Any],
    code: str,
) -> None:
    activate(client, LOYALTY)
    refused(checkin(client, clock, account, **members), code)
    assert live_at(client, "1001") == []


def test_an_inactive_card_cannot_check_in(client: TestClient, clock: ShiftedClock) -> None:
    # The demo's printed loyalty cards start inactive, with no account.
    refused(checkin(client, clock, {"printedCardNumber": LOYALTY}), "checkin.invalid_account")

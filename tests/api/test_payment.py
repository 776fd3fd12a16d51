"""The Payment Service as an app or website calls it: settings, recharge, history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.store.tables import journal, payment_attempts, payment_methods, users
from tests.api.guest_state import audit_clean
from tests.api.guests import as_guest, body_of, enroll, gget, gpost
from tests.api.pos import GIFT, balance, run_db, sell, wallets

ADDRESS = {
    "address1": "1 Main St",
    "city": "Boston",
    "stateProvince": "MA",
    "postalCode": "02110",
    "country": "US",
}


@pytest.fixture(autouse=True)
def fresh_processor() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def verify_emails(client: TestClient) -> None:
    async def work(conn: Any) -> None:
        await conn.execute(update(users).values(email_verified=True))

    run_db(client, work)


def guest(client: TestClient, *, verified: bool = True) -> tuple[str, str]:
    created = enroll(client, "ada")
    if verified:
        verify_emails(client)
    return created["printedCardNumber"], created["oauthTokens"]["access_token"]


def cc(token: str = "tok_visa", **extra: Any) -> dict[str, Any]:
    return {"type": "CC", "token": token, **extra}


def recharge(
    client: TestClient, token: str, card: str, amount: Any = "20.00", **body: Any
) -> dict[str, Any]:
    request = {
        "printedCardNumber": card,
        "amount": amount,
        "paymentMethod": cc(),
        "address": ADDRESS,
        **body,
    }
    return body_of(gpost(client, "payment", "recharge", as_guest(token, **request)))


def sv_balance(client: TestClient, card: str) -> str:
    return wallets(balance(client, card)).get(1, "")


def counts(client: TestClient) -> tuple[int, int]:
    async def work(conn: Any) -> tuple[int, int]:
        a = (await conn.execute(select(func.count()).select_from(payment_attempts))).scalar()
        j = (await conn.execute(select(func.count()).select_from(journal))).scalar()
        return int(a), int(j)

    return run_db(client, work)  # type: ignore[no-any-return]


def test_payment_config_names_the_processor_and_limits(client: TestClient) -> None:
    _card, token = guest(client)
    reply = body_of(gget(client, "payment", "paymentConfig", as_guest(token)))
    config = reply["paymentConfig"]
    assert reply["result"] == "success"
    assert config["processor"] == "TEST" and config["rechargeEnabled"] is True
    assert (config["minRechargeAmount"], config["maxRechargeAmount"]) == ("5.00", "500.00")
    assert config["addressRequired"] is True and "VISA" in config["acceptedCardTypes"]
    assert "api_key" not in str(reply)
    unknown = body_of(
        gget(client, "payment", "paymentConfig", as_guest(token, printedCardNumber=GIFT))
    )
    assert (unknown["result"], unknown["errorCode"]) == ("invalidInputs", "payment.invalid_card")


def test_a_recharge_charges_then_credits(client: TestClient) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card)
    assert reply["result"] == "success", reply
    charge = reply["chargeResponse"]
    assert charge["amount"] == "20.00" and charge["transactionState"] == "Succeeded"
    assert (charge["cardType"], charge["lastFour"], charge["processorResponseCode"]) == (
        "VISA",
        "4242",
        0,
    )
    assert charge["processorReferenceNumber"].startswith("ch_")
    assert sv_balance(client, card) == "20.00"
    history = body_of(
        gget(client, "payment", "rechargeHistory", as_guest(token, printedCardNumber=card))
    )
    [entry] = history["recharges"]
    assert entry["amount"] == "20.00" and entry["automatic"] is False
    assert entry["chargeResponse"]["processorReferenceNumber"] == charge["processorReferenceNumber"]
    audit_clean(client)


def test_recharge_history_takes_the_merchants_local_days(client: TestClient) -> None:
    card, token = guest(client)
    assert recharge(client, token, card, "20.00")["result"] == "success"
    assert recharge(client, token, card, "30.00")["result"] == "success"

    async def age_the_first(conn: Any) -> None:
        first = select(func.min(payment_attempts.c.id)).scalar_subquery()
        await conn.execute(
            update(payment_attempts)
            .where(payment_attempts.c.id == first)
            .values(created_at=datetime.now(UTC) - timedelta(days=3))
        )

    run_db(client, age_the_first)
    today = datetime.now(ZoneInfo("America/New_York")).date()

    def amounts(**days: date) -> list[str]:
        query = {name: day.isoformat() for name, day in days.items()}
        reply = body_of(
            gget(
                client,
                "payment",
                "rechargeHistory",
                as_guest(token, printedCardNumber=card, **query),
            )
        )
        return [entry["amount"] for entry in reply["recharges"]]

    assert amounts() == ["30.00", "20.00"]
    assert amounts(dateStart=today - timedelta(days=1)) == ["30.00"]
    assert amounts(dateEnd=today - timedelta(days=2)) == ["20.00"]
    assert amounts(dateStart=today - timedelta(days=3), dateEnd=today) == ["30.00", "20.00"]
    refused = body_of(
        gget(
            client,
            "payment",
            "rechargeHistory",
            as_guest(token, printedCardNumber=card, dateStart="yesterday"),
        )
    )
    assert refused["errorCode"] == "payment.invalid_request", refused


@pytest.mark.parametrize(
    ("token", "code", "state", "response"),
    [
        ("tok_decline", "payment.processor_declined", "Declined", 5),
        ("tok_insufficient_funds", "payment.processor_declined", "Declined", 51),
        ("tok_processor_error", "payment.processor_error", "Failed", 96),
    ],
)
def test_a_refused_charge_changes_no_balance(
    client: TestClient, token: str, code: str, state: str, response: int
) -> None:
    card, access = guest(client)
    before = counts(client)
    reply = recharge(client, access, card, paymentMethod=cc(token))
    assert (reply["result"], reply["errorCode"]) == ("failure", code), reply
    charge = reply["chargeResponse"]
    assert (charge["transactionState"], charge["processorResponseCode"]) == (state, response)
    attempts, journal_rows = counts(client)
    assert (attempts, journal_rows) == (before[0] + 1, before[1])  # recorded, nothing credited
    history = body_of(
        gget(client, "payment", "rechargeHistory", as_guest(access, printedCardNumber=card))
    )
    assert history["recharges"][0]["chargeResponse"]["transactionState"] == state


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "4.99"}, "payment.amount_out_of_range"),
        ({"amount": "500.01"}, "payment.amount_out_of_range"),
        ({"amount": "0"}, "payment.invalid_amount"),
        ({"amount": "10.001"}, "payment.invalid_amount"),
        ({"amount": "ten"}, "payment.invalid_amount"),
        ({"paymentMethod": {"type": "CC"}}, "payment.invalid_payment_method"),
        ({"paymentMethod": {"type": "CHEQUE", "token": "x"}}, "payment.invalid_payment_method"),
        ({"paymentMethod": cc("4111 1111 1111 1111")}, "payment.invalid_payment_method"),
        ({"paymentMethod": {"type": "SAVED_CC"}}, "payment.no_saved_credit_card"),
        ({"address": {"address1": "1 Main St"}}, "payment.address_required"),
        ({"printedCardNumber": GIFT}, "payment.invalid_card"),
    ],
)
def test_invalid_inputs_are_refused_before_any_charge(
    client: TestClient, body: dict[str, Any], code: str
) -> None:
    card, token = guest(client)
    before = counts(client)
    reply = recharge(client, token, card, **body)
    assert (reply["result"], reply["errorCode"]) == ("invalidInputs", code), reply
    assert counts(client) == before
    assert not BuiltinTestProcessor.for_merchant(1000)._books.calls


def test_an_unverified_email_is_refused(client: TestClient) -> None:
    card, token = guest(client, verified=False)
    reply = recharge(client, token, card)
    assert (reply["result"], reply["errorCode"]) == ("invalidInputs", "payment.email_not_verified")


def test_a_gift_card_without_an_owner_is_refused_for_b2b(client: TestClient) -> None:
    sell(client, GIFT, "10.00")
    reply = body_of(
        gpost(
            client,
            "payment",
            "recharge",
            {
                "authentication": "b2b",
                "printedCardNumber": GIFT,
                "amount": "20.00",
                "paymentMethod": cc(),
                "address": ADDRESS,
            },
            auth=("demo-pos", "demo-pos-secret"),
        )
    )
    assert reply["errorCode"] == "payment.email_not_verified", reply
    assert wallets(balance(client, GIFT))[1] == "10.00"


def test_a_retried_recharge_with_the_same_key_charges_once(client: TestClient) -> None:
    card, token = guest(client)
    body = {"printedCardNumber": card, "amount": "20.00", "paymentMethod": cc(), "address": ADDRESS}
    first = body_of(
        gpost(
            client,
            "payment",
            "recharge",
            as_guest(token, **body),
            headers={"Idempotency-Key": "r-1"},
        )
    )
    again = body_of(
        gpost(
            client,
            "payment",
            "recharge",
            as_guest(token, **body),
            headers={"Idempotency-Key": "r-1"},
        )
    )
    assert first["result"] == again["result"] == "success"
    assert (
        first["chargeResponse"]["processorReferenceNumber"]
        == (again["chargeResponse"]["processorReferenceNumber"])
    )
    assert len(BuiltinTestProcessor.for_merchant(1000)._books.payments) == 1
    assert sv_balance(client, card) == "20.00"


def saved_card(client: TestClient, token: str, card: str) -> dict[str, Any]:
    return body_of(
        gget(client, "payment", "savedCreditCard", as_guest(token, printedCardNumber=card))
    )


def test_a_card_saved_by_a_recharge_pays_the_next_one_and_can_be_deleted(
    client: TestClient,
) -> None:
    card, token = guest(client)
    none = saved_card(client, token, card)
    assert (none["result"], none["errorCode"]) == ("invalidInputs", "payment.no_saved_credit_card")
    first = recharge(
        client, token, card, paymentMethod=cc("tok_amex", saveCard=True, cardholderName="Ada L")
    )
    assert first["result"] == "success", first
    kept = saved_card(client, token, card)["savedCreditCard"]
    assert (kept["cardType"], kept["lastFour"], kept["expDate"]) == ("AMEX", "8431", "12/2034")
    assert kept["cardholderName"] == "Ada L" and kept["address"]["city"] == "Boston"
    assert "token" not in kept and "tok_" not in str(kept) and "pm_" not in str(kept)
    again = recharge(client, token, card, amount="5.00", paymentMethod={"type": "SAVED_CC"})
    assert again["result"] == "success", again
    assert sv_balance(client, card) == "25.00"

    deleted = body_of(
        gpost(client, "payment", "deleteSavedCreditCard", as_guest(token, printedCardNumber=card))
    )
    assert deleted == {"result": "success"}
    assert saved_card(client, token, card)["errorCode"] == "payment.no_saved_credit_card"
    twice = body_of(
        gpost(client, "payment", "deleteSavedCreditCard", as_guest(token, printedCardNumber=card))
    )
    assert twice["errorCode"] == "payment.no_saved_credit_card"
    gone = recharge(client, token, card, paymentMethod={"type": "SAVED_CC"})
    assert gone["errorCode"] == "payment.no_saved_credit_card"
    # The processor was asked to forget the token.
    assert not BuiltinTestProcessor.for_merchant(1000)._books.saved


def test_a_card_the_processor_will_not_keep_is_not_charged(client: TestClient) -> None:
    card, token = guest(client)
    reply = recharge(client, token, card, paymentMethod=cc("tok_decline", saveCard=True))
    assert reply["errorCode"] == "payment.processor_declined"
    assert saved_card(client, token, card)["errorCode"] == "payment.no_saved_credit_card"
    assert not BuiltinTestProcessor.for_merchant(1000)._books.payments
    assert sv_balance(client, card) == "0.00"


def test_a_saved_card_that_declines_later_leaves_the_balance(client: TestClient) -> None:
    card, token = guest(client)
    first = recharge(client, token, card, paymentMethod=cc("tok_insufficient_funds", saveCard=True))
    assert first["errorCode"] == "payment.processor_declined"
    # Verification passed, so the card was kept only if the charge succeeded: it was not.
    assert saved_card(client, token, card)["errorCode"] == "payment.no_saved_credit_card"
    assert sv_balance(client, card) == "0.00"


def test_another_guests_card_is_not_found(client: TestClient) -> None:
    card, _token = guest(client)
    other = enroll(client, "bob")
    verify_emails(client)
    stranger = other["oauthTokens"]["access_token"]
    for reply in (
        saved_card(client, stranger, card),
        recharge(client, stranger, card),
        body_of(
            gget(client, "payment", "rechargeHistory", as_guest(stranger, printedCardNumber=card))
        ),
    ):
        assert reply["errorCode"] == "payment.invalid_card", reply


def test_a_card_number_is_never_kept_or_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    pan = "4111111111111111"
    card, token = guest(client)
    caplog.set_level("DEBUG")
    for number in (pan, "4111 1111 1111 1111", "4111-1111-1111-1111"):
        refused = recharge(client, token, card, paymentMethod=cc(number, saveCard=True))
        assert refused["errorCode"] == "payment.invalid_payment_method"
        assert pan not in str(refused)
    body_of(
        gpost(
            client,
            "payment",
            "addPaymentMethod",
            as_guest(token, printedCardNumber=card, paymentMethod=cc(pan), address=ADDRESS),
        )
    )
    assert (
        recharge(client, token, card, paymentMethod=cc("tok_visa", saveCard=True))["result"]
        == "success"
    )

    async def dump(conn: Any) -> str:
        rows = []
        for table in (payment_attempts, payment_methods):
            rows += [tuple(r) for r in await conn.execute(select(table))]
        return repr(rows)

    stored = run_db(client, dump)
    assert "4242" in stored  # the last four digits the processor reported, and no more
    for digits in (pan, "4111 1111", "4111-1111"):
        assert digits not in stored and digits not in caplog.text

"""The Balance Transfer Service as an app or a back end calls it: transferBalances."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.store.tables import journal, transactions
from tests.api.guest_state import audit_clean
from tests.api.guests import as_guest, b2b, body_of, enroll, gpost
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    LOYALTY2,
    POS,
    UNKNOWN_CARD,
    activate,
    add_redeem,
    balance,
    run_db,
    sell,
    sv,
    wallets,
)


def transfer(
    client: TestClient,
    to: str,
    source: str,
    auth: tuple[str, str] = POS,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        **b2b(),
        "printedCardNumber": to,
        "fromPrintedCardNumber": source,
        **extra,
    }
    return body_of(
        gpost(client, "balancetransfer", "transferBalances", body, auth, headers=headers)
    )


def failed(reply: dict[str, Any], code: str) -> None:
    assert (reply["result"], reply.get("errorCode")) == ("failure", code), reply
    assert reply["errorMessage"], reply


def count_kind(client: TestClient, kind: str) -> int:
    async def work(conn: Any) -> int:
        query = select(func.count()).select_from(transactions).where(transactions.c.kind == kind)
        return int((await conn.execute(query)).scalar_one())

    return int(run_db(client, work))


def test_moves_stored_value_onto_the_receiving_card_with_both_sides_journaled(
    client: TestClient,
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "10.00")
    reply = transfer(client, GIFT2, GIFT)
    assert reply == {"result": "success"}
    assert wallets(balance(client, GIFT))[1] == "0.00"
    assert wallets(balance(client, GIFT2))[1] == "35.00"
    assert count_kind(client, "balanceTransferOut") == 1
    assert count_kind(client, "balanceTransferIn") == 1

    async def postings(conn: Any) -> list[int]:
        rows = await conn.execute(
            select(journal.c.units)
            .join(transactions, transactions.c.id == journal.c.transaction_id)
            .where(transactions.c.kind.like("balanceTransfer%"))
            .order_by(journal.c.units)
        )
        return [int(r.units) for r in rows]

    # Units at the storage scale (four decimals).
    assert run_db(client, postings) == [-250000, 250000]
    audit_clean(client)
    # Nothing is left to move a second time.
    failed(transfer(client, GIFT2, GIFT), "balancetransfer.nothing_to_transfer")


def test_wallets_the_receiving_card_cannot_hold_stay_behind(client: TestClient) -> None:
    activate(client, LOYALTY)
    add_redeem(client, LOYALTY, add=sv("40", wallet=2), program="LP")
    add_redeem(client, LOYALTY, add=sv("12.00"))
    sell(client, GIFT, "1.00")
    # A gift card holds stored value only: with every balance demanded, nothing moves.
    failed(
        transfer(client, GIFT, LOYALTY, mustTransferAllWalletBalances=True),
        "balancetransfer.incompatible_wallets",
    )
    failed(
        transfer(client, GIFT, LOYALTY, mustTransferAllWallets=True),
        "balancetransfer.incompatible_wallets",
    )
    assert wallets(balance(client, LOYALTY))[1] == "12.00"
    assert transfer(client, GIFT, LOYALTY)["result"] == "success"
    assert wallets(balance(client, GIFT))[1] == "13.00"
    left = wallets(balance(client, LOYALTY))
    assert (left[1], left[2]) == ("0.00", "40")
    audit_clean(client)


def test_points_move_between_loyalty_cards(client: TestClient) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    add_redeem(client, LOYALTY2, add=sv("75", wallet=2), program="LP")
    assert transfer(client, LOYALTY, LOYALTY2, mustTransferAllWalletBalances=True)["result"] == (
        "success"
    )
    assert wallets(balance(client, LOYALTY))[2] == "75"
    assert wallets(balance(client, LOYALTY2))[2] == "0"


@pytest.mark.parametrize(
    ("to", "source", "extra", "code"),
    [
        (GIFT2, GIFT2, {}, "balancetransfer.same_card"),
        (GIFT2, UNKNOWN_CARD, {}, "balancetransfer.invalid_from_card"),
        (GIFT2, "", {}, "balancetransfer.invalid_from_card"),
        (UNKNOWN_CARD, GIFT, {}, "balancetransfer.invalid_to_card"),
        (LOYALTY, GIFT, {}, "balancetransfer.invalid_to_card"),  # never activated
        (GIFT, LOYALTY2, {}, "balancetransfer.from_card_not_active"),
        (GIFT2, GIFT, {"fromRegCode": "9999"}, "balancetransfer.invalid_reg_code"),
    ],
)
def test_refusals_move_nothing(
    client: TestClient, to: str, source: str, extra: dict[str, Any], code: str
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "5.00")
    failed(transfer(client, to, source, **extra), code)
    assert wallets(balance(client, GIFT))[1] == "25.00"
    assert wallets(balance(client, GIFT2))[1] == "5.00"
    assert count_kind(client, "balanceTransferOut") == 0


def test_the_right_registration_code_is_accepted(client: TestClient) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "5.00")
    assert transfer(client, GIFT2, GIFT, fromRegCode="1234")["result"] == "success"
    assert wallets(balance(client, GIFT2))[1] == "30.00"


def test_a_retry_with_the_same_idempotency_key_replays_and_moves_once(
    client: TestClient,
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "5.00")
    key = {"Idempotency-Key": "bt-1"}
    first = transfer(client, GIFT2, GIFT, headers=key)
    again = transfer(client, GIFT2, GIFT, headers=key)
    assert first == again == {"result": "success"}
    assert count_kind(client, "balanceTransferIn") == 1
    assert wallets(balance(client, GIFT2))[1] == "30.00"


def test_a_guest_moves_value_only_onto_their_own_card(client: TestClient) -> None:
    created = enroll(client, "ada")
    mine, token = created["printedCardNumber"], created["oauthTokens"]["access_token"]
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "5.00")
    as_ada = {
        **as_guest(token),
        "printedCardNumber": GIFT2,
        "fromPrintedCardNumber": GIFT,
        "fromRegCode": "1234",
    }
    refused = body_of(gpost(client, "balancetransfer", "transferBalances", as_ada))
    failed(refused, "balancetransfer.invalid_to_card")
    as_ada["printedCardNumber"] = mine
    done = body_of(gpost(client, "balancetransfer", "transferBalances", as_ada))
    assert done["result"] == "success", done
    assert wallets(balance(client, mine))[1] == "25.00"


@pytest.mark.parametrize(
    "body",
    [
        {"printedCardNumber": GIFT2},
        {"printedCardNumber": GIFT2, "fromPrintedCardNumber": GIFT, "merchantId": "x"},
        {"printedCardNumber": GIFT2, "fromPrintedCardNumber": {"a": 1}},
        {"printedCardNumber": GIFT2, "fromPrintedCardNumber": GIFT, "mustTransferAllWallets": "x"},
        {"printedCardNumber": "9" * 500, "fromPrintedCardNumber": GIFT},
    ],
)
def test_bad_input_is_a_failure_reply_not_an_error(
    client: TestClient, body: dict[str, Any]
) -> None:
    sell(client, GIFT, "25.00")
    sell(client, GIFT2, "5.00")
    response = gpost(client, "balancetransfer", "transferBalances", {**b2b(), **body}, POS)
    assert response.status_code < 500, response.text
    assert response.json()["result"] == "failure", response.text
    assert wallets(balance(client, GIFT))[1] == "25.00"


def test_a_guest_takes_value_only_from_their_own_card_or_one_they_hold(
    client: TestClient,
) -> None:
    ada = enroll(client, "ada")
    bob = enroll(client, "bob")
    mine, token = ada["printedCardNumber"], ada["oauthTokens"]["access_token"]
    add_redeem(client, bob["printedCardNumber"], add=sv("9.00"))
    sell(client, GIFT, "25.00")

    def take(source: str, **extra: Any) -> dict[str, Any]:
        body = {
            **as_guest(token),
            "printedCardNumber": mine,
            "fromPrintedCardNumber": source,
            **extra,
        }
        return body_of(gpost(client, "balancetransfer", "transferBalances", body))

    # Another guest's card is answered like a card that does not exist, code or not.
    failed(take(bob["printedCardNumber"]), "balancetransfer.invalid_from_card")
    failed(take(bob["printedCardNumber"], fromRegCode="1234"), "balancetransfer.invalid_from_card")
    failed(take(UNKNOWN_CARD), "balancetransfer.invalid_from_card")
    # An unregistered gift card needs the code printed on it.
    failed(take(GIFT), "balancetransfer.invalid_from_card")
    failed(take(GIFT, fromRegCode="0000"), "balancetransfer.invalid_reg_code")
    assert take(GIFT, fromRegCode="1234")["result"] == "success"
    assert wallets(balance(client, mine))[1] == "25.00"
    assert wallets(balance(client, bob["printedCardNumber"]))[1] == "9.00"

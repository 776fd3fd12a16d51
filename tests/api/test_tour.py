"""Tour Service: active tours and a guest's progress (tour.yaml), read from the checks
the POS posted, over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.checks import a_check, item, post_check
from tests.api.guests import as_guest, body_of, enroll, gget, sign_in
from tests.api.pos import LOYALTY, POS, activate, call, header, ok
from tests.program_config import program_editor


def status(client: TestClient, card: str = LOYALTY, tour: str = "coffee") -> dict[str, Any]:
    params = {"authentication": "b2b", "tourCode": tour, "printedCardNumber": card}
    return body_of(gget(client, "tour", "tourStatus", params, auth=POS))


def coffee(code: str, qty: str = "1") -> dict[str, Any]:
    return item(code, "4.00", "coffee", qty=qty)


def test_active_tours_list_the_demo_coffee_tour(client: TestClient) -> None:
    reply = body_of(gget(client, "tour", "activeTours", {"authentication": "b2b"}, auth=POS))
    assert reply == {
        "result": "success",
        "tours": [
            {
                "tourCode": "coffee",
                "name": "Coffee tour",
                "description": "Try each of our single-origin coffees.",
                "items": [
                    {"itemCode": "C-ETH", "name": "Ethiopia Yirgacheffe"},
                    {"itemCode": "C-COL", "name": "Colombia Huila"},
                    {"itemCode": "C-SUM", "name": "Sumatra Mandheling"},
                ],
            }
        ],
    }


def test_a_tour_that_has_ended_is_not_active(client: TestClient) -> None:
    with program_editor(client) as change:
        change(lambda data: data["places"]["tours"][0].update(end_date="2020-12-31"))
        reply = body_of(gget(client, "tour", "activeTours", {"authentication": "b2b"}, auth=POS))
    assert reply["tours"] == []


def test_progress_counts_each_item_once_from_posted_checks(client: TestClient) -> None:
    activate(client, LOYALTY)
    assert status(client)["itemsCompleted"] == 0
    post_check(client, LOYALTY, a_check("T1", coffee("C-ETH"), coffee("C-ETH", qty="2")))
    post_check(client, LOYALTY, a_check("T2", coffee("C-ETH"), item("MUFFIN", "3.00", "FOOD")))
    reply = status(client)
    assert reply["tourCode"] == "coffee"
    assert [i["itemCode"] for i in reply["completedItems"]] == ["C-ETH"]
    assert reply["completedItems"][0]["name"] == "Ethiopia Yirgacheffe"
    assert reply["completedItems"][0]["firstPurchaseDate"]
    assert (reply["itemsCompleted"], reply["itemsTotal"], reply["completed"]) == (1, 3, False)
    post_check(client, LOYALTY, a_check("T3", coffee("C-COL"), coffee("C-SUM")))
    done = status(client)
    assert (done["itemsCompleted"], done["completed"]) == (3, True)


def test_an_item_outside_the_tours_category_or_returned_does_not_count(
    client: TestClient,
) -> None:
    activate(client, LOYALTY)
    post_check(client, LOYALTY, a_check("T1", item("C-ETH", "4.00", "merch")))
    post_check(
        client,
        LOYALTY,
        a_check("T2", coffee("C-COL", qty="-1"), item("BAGEL", "9.00", "FOOD")),
    )
    assert status(client)["completedItems"] == []


def test_a_reversed_check_no_longer_counts(client: TestClient) -> None:
    activate(client, LOYALTY)
    posted = post_check(client, LOYALTY, a_check("T1", coffee("C-SUM"), coffee("C-ETH")))
    assert status(client)["itemsCompleted"] == 2
    ok(
        call(
            client,
            "reverse",
            {"headerInfo": header(programId="PX"), "pxTransactionId": posted["pxTransactionId"]},
        )
    )
    assert status(client)["itemsCompleted"] == 0


def test_a_guest_reads_only_their_own_progress(client: TestClient) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    token = sign_in(client, "ada")["access_token"]
    activate(client, LOYALTY)
    own = body_of(
        gget(
            client,
            "tour",
            "tourStatus",
            as_guest(token, tourCode="coffee", printedCardNumber=card),
            auth=None,
        )
    )
    assert own["itemsTotal"] == 3
    other = body_of(
        gget(
            client,
            "tour",
            "tourStatus",
            as_guest(token, tourCode="coffee", printedCardNumber=LOYALTY),
            auth=None,
        )
    )
    assert other["errorCode"] == "tour.invalid_card"


def test_unknown_tours_and_cards_are_refused(client: TestClient) -> None:
    activate(client, LOYALTY)
    assert status(client, tour="tea")["errorCode"] == "tour.invalid_tour"
    assert status(client, card="7999999999999999")["errorCode"] == "tour.invalid_card"
    assert status(client, card="")["errorCode"] == "tour.invalid_card"

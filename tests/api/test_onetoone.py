"""One To One Service: the demo's visit cadence (onetoone.yaml), visits counted from
checks the POS posted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.checks import a_check, item, post_check
from tests.api.guests import b2b, body_of, gget
from tests.api.pos import LOYALTY, POS, UNKNOWN_CARD, activate
from tests.program_config import program_editor


def progress(client: TestClient, card: str = LOYALTY) -> dict[str, Any]:
    params = b2b(printedCardNumber=card)
    return body_of(gget(client, "onetoone", "userProgress", params, auth=POS))


def test_progress_counts_down_visits_and_the_threshold_moves_at_a_reward(
    client: TestClient,
) -> None:
    activate(client, LOYALTY)
    assert progress(client) == {"result": "success", "visitsToNextReward": 3, "threshold": 3}
    first = post_check(client, LOYALTY, a_check("901", item("BURGER", "9.00", "FOOD")))
    assert first["result"] == "success", first
    post_check(client, LOYALTY, a_check("902", item("FRIES", "1.00", "FOOD")))  # under $5
    assert progress(client)["visitsToNextReward"] == 2
    post_check(client, LOYALTY, a_check("903", item("BURGER", "9.00", "FOOD")))
    post_check(client, LOYALTY, a_check("904", item("BURGER", "9.00", "FOOD")))
    assert progress(client) == {"result": "success", "visitsToNextReward": 4, "threshold": 4}


def test_the_cadence_and_its_refusals(client: TestClient) -> None:
    activate(client, LOYALTY)
    params = b2b(printedCardNumber=LOYALTY)
    info = body_of(gget(client, "onetoone", "oneToOneUserInformation", params, auth=POS))
    assert info == {
        "result": "success",
        "rungs": [
            {"visits": 3, "rewardDescription": "Free coffee"},
            {"visits": 7, "rewardDescription": "Free pastry"},
            {"visits": 12, "rewardDescription": "$5 Reward"},
        ],
        "resetVisits": 12,
    }
    assert progress(client, UNKNOWN_CARD)["errorCode"] == "onetoone.invalid_card"
    with program_editor(client) as change:
        change(lambda data: data["outreach"].update(one_to_one=None))
        assert progress(client)["errorCode"] == "onetoone.no_cadence"

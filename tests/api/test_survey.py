"""Survey Service (survey.yaml): eligible surveys, opt-in, details and responses, by
username and by printed card number, on the demo merchant's feedback survey and on
surveys applied the way an operator applies them."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.config.surveys import SurveyConfig
from openpxs.domain.clock import ShiftedClock, local_date
from openpxs.store.tables import survey_responses
from tests.api.guest_state import audit_clean, nothing_changes, token_of
from tests.api.guests import APP, POS, as_guest, b2b, body_of, enroll, gget, gpost
from tests.api.pos import (
    GIFT,
    LOYALTY,
    UNKNOWN_CARD,
    activate,
    call,
    card,
    header,
    history,
    run_db,
    sell,
    wallets,
)
from tests.pg.test_races import Pos, outcome, race, race_url
from tests.program_config import as_yaml, program_editor

__all__ = ["race_url"]  # the fixture, shared with test_races.py

DEMO = "VISIT_FEEDBACK"
GOOD = [
    {"questionCode": "RATING", "choiceCodes": ["5"]},
    {"questionCode": "MEAL", "choiceCodes": ["BURGER", "DESSERT"]},
    {"questionCode": "COMMENTS", "text": "Great fries"},
]


def get(client: TestClient, operation: str, **params: Any) -> dict[str, Any]:
    return body_of(gget(client, "survey", operation, b2b(**params), auth=POS))


def post(client: TestClient, operation: str, **body: Any) -> dict[str, Any]:
    return body_of(gpost(client, "survey", operation, b2b(**body), auth=POS))


def submit(client: TestClient, username: str = "ada", **body: Any) -> dict[str, Any]:
    fields = {"surveyCode": DEMO, "responses": GOOD, **body}
    return post(client, "submitResponse", username=username, **fields)


def submit_by_card(client: TestClient, number: str = LOYALTY, **body: Any) -> dict[str, Any]:
    fields = {"surveyCode": DEMO, "responses": GOOD, **body}
    return post(client, "submitResponseByPrintedCardNumber", printedCardNumber=number, **fields)


def failed(reply: dict[str, Any], code: str, mentions: str | None = None) -> None:
    assert reply["result"] == "failure", reply
    assert reply["errorCode"] == code, reply
    if mentions is not None:
        assert mentions in reply["errorMessage"], reply


def codes(reply: dict[str, Any]) -> list[str]:
    assert reply["result"] == "success", reply
    return [s["surveyCode"] for s in reply["surveys"]]


def card_of(reply: dict[str, Any]) -> str:
    number: str = reply["printedCardNumber"]
    return number


def points(client: TestClient, number: str) -> str:
    body = {"headerInfo": header(programId="LP"), "cardInfo": card(number)}
    return wallets(call(client, "balanceInquiry", body))[2]


def responses_stored(client: TestClient) -> int:
    async def work(conn: Any) -> int:
        return int(
            (await conn.execute(select(func.count()).select_from(survey_responses))).scalar()
        )

    count: int = run_db(client, work)
    return count


def a_survey(code: str, **fields: Any) -> SurveyConfig:
    return SurveyConfig.model_validate(
        {
            "code": code,
            "name": f"Survey {code}",
            "questions": [{"code": "Q", "text": "Why?", "type": "text", "required": True}],
            **fields,
        }
    )


@pytest.fixture
def surveys_with(client: TestClient) -> Iterator[Callable[..., None]]:
    """Apply the demo program with these surveys after the demo's own."""
    with program_editor(client) as change:

        def install(*extra: SurveyConfig) -> None:
            change(lambda data: data["surveys"].extend(as_yaml(s) for s in extra))

        yield install


@pytest.fixture
def ada(client: TestClient) -> str:
    """A registered guest on a loyalty card; returns the card number."""
    return card_of(enroll(client, "ada"))


# --- the demo survey, by username --------------------------------------------------------


def test_a_guest_takes_the_demo_survey_once_and_is_paid_once(client: TestClient, ada: str) -> None:
    assert codes(get(client, "eligibleSurveys", username="ada")) == [DEMO]
    [listed] = get(client, "eligibleSurveys", username="ada")["surveys"]
    assert listed == {
        "surveyCode": DEMO,
        "name": "Tell us about your visit",
        "optInRequired": False,
    }
    before = points(client, ada)

    assert submit(client) == {"result": "success", "rewardDescription": "25 bonus points"}

    assert points(client, ada) == str(int(before) + 25)
    entry = history(client, ada)["transactions"][0]
    assert entry["transactionType"] == "surveyReward"
    audit_clean(client)
    assert codes(get(client, "eligibleSurveys", username="ada")) == []
    with nothing_changes(client):
        failed(submit(client), "survey.already_responded")
        failed(submit_by_card(client, ada), "survey.already_responded")
    assert points(client, ada) == str(int(before) + 25)


def test_details_give_the_questions_in_order(client: TestClient, ada: str) -> None:
    reply = get(client, "surveyDetails", username="ada", surveyCode=DEMO)
    assert reply["result"] == "success"
    survey = reply["survey"]
    assert survey["surveyCode"] == DEMO
    assert survey["rewardDescription"] == "25 bonus points"
    assert survey["introduction"].startswith("Three quick questions")
    rating, meal, comments = survey["questions"]
    assert rating == {
        "questionCode": "RATING",
        "text": "How was your visit overall?",
        "type": "RATING",
        "required": True,
        "choices": [{"choiceCode": str(n), "text": str(n)} for n in range(1, 6)],
    }
    assert meal["type"] == "MULTIPLE_CHOICE"
    assert [c["choiceCode"] for c in meal["choices"]] == ["BURGER", "SALAD", "DESSERT"]
    assert comments == {
        "questionCode": "COMMENTS",
        "text": "Anything else we should know?",
        "type": "TEXT",
        "required": False,
        "choices": [],
        "maxLength": 500,
    }
    assert (
        get(client, "surveyDetailsByPrintedCardNumber", printedCardNumber=ada, surveyCode=DEMO)[
            "survey"
        ]
        == survey
    )


@pytest.mark.parametrize(
    ("responses", "code", "mentions"),
    [
        ([], "survey.missing_required_answer", "RATING"),
        (
            [{"questionCode": "MEAL", "choiceCodes": ["SALAD"]}],
            "survey.missing_required_answer",
            "RATING",
        ),
        ([{"questionCode": "RATING", "choiceCodes": ["9"]}], "survey.invalid_answer", "RATING"),
        ([{"questionCode": "RATING", "text": "great"}], "survey.invalid_answer", "RATING"),
        (
            [
                {"questionCode": "RATING", "text": "4"},
                {"questionCode": "MEAL", "choiceCodes": ["PIZZA"]},
            ],
            "survey.invalid_answer",
            "MEAL",
        ),
        (
            [
                {"questionCode": "RATING", "text": "4"},
                {"questionCode": "COMMENTS", "text": "x" * 501},
            ],
            "survey.invalid_answer",
            "COMMENTS",
        ),
        (
            [{"questionCode": "RATING", "text": "4"}, {"questionCode": "WHO", "text": "me"}],
            "survey.invalid_answer",
            "WHO",
        ),
        (
            [{"questionCode": "RATING", "text": "4"}, {"questionCode": "RATING", "text": "4"}],
            "survey.invalid_answer",
            "twice",
        ),
    ],
)
def test_answers_that_do_not_fit_are_refused_and_change_nothing(
    client: TestClient, ada: str, responses: list[dict[str, Any]], code: str, mentions: str
) -> None:
    with nothing_changes(client):
        failed(submit(client, responses=responses), code, mentions)
    # The refusal did not use the guest's response up.
    assert submit(client)["result"] == "success"


@pytest.mark.parametrize(
    "body",
    [
        {"responses": "not a list"},
        {"responses": [{"questionCode": "RATING", "choiceCodes": "5"}]},
        {"responses": [{"questionCode": "RATING", "text": "x" * 9000}]},
        {"responses": [{"questionCode": "RATING", "choiceCodes": ["5"]}] * 201},
        {"merchantId": "abc"},
    ],
)
def test_malformed_submissions_are_invalid_requests(
    client: TestClient, ada: str, body: dict[str, Any]
) -> None:
    with nothing_changes(client):
        failed(submit(client, **body), "survey.invalid_request")


def test_only_a_rating_answer_is_required(client: TestClient, ada: str) -> None:
    assert (
        submit(client, responses=[{"questionCode": "RATING", "text": " 3 "}])["result"] == "success"
    )
    assert responses_stored(client) == 1


def test_who_the_call_is_about(client: TestClient, ada: str) -> None:
    with nothing_changes(client):
        failed(get(client, "eligibleSurveys", username="nobody"), "survey.invalid_user")
        failed(get(client, "eligibleSurveys"), "survey.invalid_user")
        failed(submit(client, username="nobody"), "survey.invalid_user")
        failed(
            get(client, "eligibleSurveysByPrintedCardNumber", printedCardNumber=UNKNOWN_CARD),
            "survey.invalid_card",
        )
        failed(get(client, "eligibleSurveysByPrintedCardNumber"), "survey.invalid_card")
        # The demo's printed loyalty card, not yet activated.
        failed(submit_by_card(client, LOYALTY), "survey.invalid_card")
        failed(submit(client, surveyCode="NOPE"), "survey.invalid_survey")
        failed(submit(client, surveyCode=""), "survey.invalid_survey")
        failed(
            get(client, "surveyDetails", username="ada", surveyCode="NOPE"), "survey.invalid_survey"
        )
        failed(submit(client, storeCode="9999"), "survey.invalid_store")


def test_a_gift_card_is_not_in_the_audience(client: TestClient) -> None:
    sell(client, GIFT, "10.00")
    assert codes(get(client, "eligibleSurveysByPrintedCardNumber", printedCardNumber=GIFT)) == []
    with nothing_changes(client):
        failed(submit_by_card(client, GIFT), "survey.not_eligible")
        failed(
            get(
                client, "surveyDetailsByPrintedCardNumber", printedCardNumber=GIFT, surveyCode=DEMO
            ),
            "survey.not_eligible",
        )


# --- by printed card number ---------------------------------------------------------------


def test_an_unregistered_card_takes_the_survey_by_card(client: TestClient) -> None:
    activate(client, LOYALTY)
    found = get(client, "eligibleSurveysByPrintedCardNumber", printedCardNumber=LOYALTY)
    assert codes(found) == [DEMO]
    assert submit_by_card(client, storeCode="1001")["result"] == "success"
    assert points(client, LOYALTY) == "25"
    assert codes(get(client, "eligibleSurveysByPrintedCardNumber", printedCardNumber=LOYALTY)) == []
    audit_clean(client)


# --- signed-in guests -----------------------------------------------------------------------


def test_a_signed_in_guest_answers_for_their_own_account_only(client: TestClient, ada: str) -> None:
    enroll(client, "bob")
    token = token_of(client, "ada")

    def as_ada(operation: str, method: str = "GET", **params: Any) -> dict[str, Any]:
        send = gget if method == "GET" else gpost
        return body_of(send(client, "survey", operation, as_guest(token, **params), auth=APP))

    assert codes(as_ada("eligibleSurveys")) == [DEMO]
    with nothing_changes(client):
        failed(as_ada("eligibleSurveys", username="bob"), "survey.invalid_user")
        failed(
            as_ada("submitResponse", "POST", username="bob", surveyCode=DEMO, responses=GOOD),
            "survey.invalid_user",
        )
    reply = as_ada("submitResponse", "POST", surveyCode=DEMO, responses=GOOD)
    assert reply["result"] == "success"
    assert codes(get(client, "eligibleSurveys", username="bob")) == [DEMO]


# --- retries ----------------------------------------------------------------------------------


def test_a_retry_with_the_idempotency_key_replays_the_first_reply(
    client: TestClient, ada: str
) -> None:
    before = points(client, ada)
    body = b2b(username="ada", surveyCode=DEMO, responses=GOOD)
    key = {"Idempotency-Key": "survey-1"}
    first = body_of(gpost(client, "survey", "submitResponse", body, auth=POS, headers=key))
    again = body_of(gpost(client, "survey", "submitResponse", body, auth=POS, headers=key))
    assert first == again == {"result": "success", "rewardDescription": "25 bonus points"}
    assert points(client, ada) == str(int(before) + 25)
    assert responses_stored(client) == 1


# --- configured surveys: opt-in, windows, repeats ----------------------------------------------


def test_an_opt_in_survey_needs_the_opt_in_first(
    client: TestClient, ada: str, surveys_with: Callable[..., None]
) -> None:
    surveys_with(a_survey("PANEL", opt_in_required=True))
    [_, panel] = get(client, "eligibleSurveys", username="ada")["surveys"]
    assert panel["optInRequired"] is True
    with nothing_changes(client):
        failed(
            get(client, "surveyDetails", username="ada", surveyCode="PANEL"),
            "survey.not_eligible",
            "opt in",
        )
        failed(
            submit(client, surveyCode="PANEL", responses=[{"questionCode": "Q", "text": "Hi"}]),
            "survey.not_eligible",
        )
    assert post(client, "optIn", username="ada", surveyCode="PANEL") == {"result": "success"}
    with nothing_changes(client):
        failed(post(client, "optIn", username="ada", surveyCode="PANEL"), "survey.already_opted_in")
        failed(
            post(client, "optInByPrintedCardNumber", printedCardNumber=ada, surveyCode="PANEL"),
            "survey.already_opted_in",
        )
        failed(post(client, "optIn", username="ada", surveyCode="NOPE"), "survey.invalid_survey")
    assert get(client, "surveyDetails", username="ada", surveyCode="PANEL")["result"] == "success"
    reply = submit(client, surveyCode="PANEL", responses=[{"questionCode": "Q", "text": "Hi"}])
    assert reply == {"result": "success"}  # this survey pays nothing
    assert codes(get(client, "eligibleSurveys", username="ada")) == [DEMO]


def test_a_closed_window_hides_the_survey_and_refuses_it(
    client: TestClient, ada: str, clock: ShiftedClock, surveys_with: Callable[..., None]
) -> None:
    today = local_date(clock.now(), "America/New_York")
    surveys_with(
        a_survey("OVER", window={"end_date": (today - timedelta(days=1)).isoformat()}),
        a_survey("SOON", window={"start_date": (today + timedelta(days=1)).isoformat()}),
        a_survey("NOW", window={"start_date": today.isoformat(), "end_date": today.isoformat()}),
    )
    listed = get(client, "eligibleSurveys", username="ada")["surveys"]
    assert [s["surveyCode"] for s in listed] == [DEMO, "NOW"]
    assert listed[1]["startDate"] == listed[1]["endDate"] == today.isoformat()
    answer = [{"questionCode": "Q", "text": "Hi"}]
    with nothing_changes(client):
        for code in ("OVER", "SOON"):
            failed(
                submit(client, surveyCode=code, responses=answer), "survey.not_eligible", "not open"
            )
            failed(post(client, "optIn", username="ada", surveyCode=code), "survey.not_eligible")


def test_a_weekly_survey_is_answered_once_a_week(
    client: TestClient, ada: str, clock: ShiftedClock, surveys_with: Callable[..., None]
) -> None:
    surveys_with(a_survey("WEEKLY", repeat="weekly", reward={"wallet": 2, "quantity": 10}))
    answer = [{"questionCode": "Q", "text": "Hi"}]
    assert submit(client, surveyCode="WEEKLY", responses=answer) == {
        "result": "success",
        "rewardDescription": "10 Points",
    }
    failed(submit(client, surveyCode="WEEKLY", responses=answer), "survey.already_responded")
    clock.offset += timedelta(days=7)
    assert "WEEKLY" in codes(get(client, "eligibleSurveys", username="ada"))
    assert submit(client, surveyCode="WEEKLY", responses=answer)["result"] == "success"
    assert responses_stored(client) == 2
    audit_clean(client)


def test_a_survey_for_listed_cards_only(
    client: TestClient, ada: str, surveys_with: Callable[..., None]
) -> None:
    activate(client, LOYALTY)
    surveys_with(a_survey("VIP", audience={"cards": [LOYALTY]}))
    assert "VIP" in codes(
        get(client, "eligibleSurveysByPrintedCardNumber", printedCardNumber=LOYALTY)
    )
    assert "VIP" not in codes(get(client, "eligibleSurveys", username="ada"))
    failed(post(client, "optIn", username="ada", surveyCode="VIP"), "survey.not_eligible")


# --- two submissions at once ------------------------------------------------------------------

AUTH = {"Authorization": "Basic " + base64.b64encode(":".join(POS).encode()).decode()}


async def _submit(pos: Pos, number: str) -> dict[str, Any]:
    response = await pos.http.post(
        "/rest/24.11/survey/submitResponseByPrintedCardNumber.json",
        json=b2b(merchantId=1000, printedCardNumber=number, surveyCode=DEMO, responses=GOOD),
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def test_two_submissions_at_once_store_one_response_and_pay_once(race_url: str) -> None:
    async def scenario(pos: Pos) -> None:
        activated = await pos.call(
            "activate", {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY)}
        )
        assert outcome(activated) in ("authorizedSuccess", "transaction.card_already_active")
        before = await pos.call(
            "balanceInquiry", {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY)}
        )
        replies = await asyncio.gather(*(_submit(pos, LOYALTY) for _ in range(4)))
        assert Counter(map(outcome, replies)) == {"success": 1, "survey.already_responded": 3}
        after = await pos.call(
            "balanceInquiry", {"headerInfo": header(programId="LP"), "cardInfo": card(LOYALTY)}
        )
        assert int(wallets(after)[2]) == int(wallets(before)[2]) + 25
        assert await pos.count(survey_responses) == 1
        assert await pos.audit_problems() == []

    race(race_url, scenario)


def test_a_reversed_reward_leaves_the_survey_answered(client: TestClient, ada: str) -> None:
    before = points(client, ada)
    assert submit(client)["result"] == "success"
    txn = history(client, ada)["transactions"][0]["transactionIdLong"]
    reversed_ = call(client, "reverse", {"headerInfo": header(), "pxTransactionId": txn})
    assert reversed_["result"] == "authorizedSuccess", reversed_
    assert points(client, ada) == before
    audit_clean(client)
    assert codes(get(client, "eligibleSurveys", username="ada")) == []
    failed(submit(client), "survey.already_responded")
    assert points(client, ada) == before

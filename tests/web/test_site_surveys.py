"""The guest website's surveys over HTTP: the surveys open to the guest, taking one
(every question type, problems shown at their question), the thanks page with the
reward submitResponse pays, once per occurrence."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.guests import enroll
from tests.api.test_survey import a_survey, points, responses_stored, surveys_with
from tests.web.site import SITE, csrf_of, sign_in, submit

__all__ = ["surveys_with"]  # the fixture, used by the opt-in test

DEMO = "VISIT_FEEDBACK"
SURVEY = f"survey?code={DEMO}"


@pytest.fixture
def site(client: TestClient) -> Iterator[tuple[TestClient, str]]:
    """A browser signed in as ada; the card of her account."""
    client.cookies.clear()
    number: str = enroll(client, "ada")["printedCardNumber"]
    sign_in(client)
    yield client, number
    client.cookies.clear()


def answer(client: TestClient, **fields: str) -> tuple[int, str]:
    reply = submit(client, "survey", {"survey": DEMO, **fields}, page=SURVEY)
    return reply.status_code, reply.headers.get("location", reply.text)


def test_taking_the_demo_survey_pays_its_reward_once(site: tuple[TestClient, str]) -> None:
    client, card = site
    listing = client.get(f"{SITE}/surveys").text
    assert f'href="{SITE}/survey?code={DEMO}"' in listing and "Tell us about your visit" in listing
    form = client.get(f"{SITE}/{SURVEY}").text
    # Choice and rating questions are fieldsets with a legend; text has a label.
    assert "<legend>How was your visit overall? <span" in form
    assert 'type="radio" value="5"' in form and 'name="q.MEAL.SALAD" type="checkbox"' in form
    assert '<label for="q.COMMENTS">Anything else we should know?</label>' in form
    assert "Reward for answering: 25 bonus points" in form
    before = points(client, card)
    # Thanks only once answered.
    assert client.get(f"{SITE}/survey/done?code={DEMO}").status_code == 404

    done = answer(client, **{"q.RATING": "4", "q.MEAL.BURGER": "1", "q.COMMENTS": "Great fries"})
    assert done == (303, f"{SITE}/survey/done?code={DEMO}")
    thanks = client.get(done[1]).text
    assert "You earned 25 bonus points." in thanks
    assert float(points(client, card)) == float(before) + 25
    assert responses_stored(client) == 1

    # Answered: no longer listed, and a second response is refused.
    assert "There is no survey for you right now" in client.get(f"{SITE}/surveys").text
    again = client.post(
        f"{SITE}/survey",
        data={"csrf_token": _token(client), "survey": DEMO, "q.RATING": "5"},
        follow_redirects=False,
    )
    assert again.status_code == 404 and responses_stored(client) == 1


def _token(client: TestClient) -> str:
    return csrf_of(client.get(f"{SITE}/surveys"))


def test_problems_are_shown_at_their_question(site: tuple[TestClient, str]) -> None:
    client, _ = site
    status, text = answer(client, **{"q.COMMENTS": "kept"})
    assert status == 400
    assert '<p class="field-error" id="err-RATING">Answer this question.</p>' in text
    assert 'aria-describedby="err-RATING"' in text and "kept</textarea>" in text
    status, text = answer(client, **{"q.RATING": "9"})
    assert status == 400 and 'id="err-RATING">give one rating from 1 to 5' in text
    status, text = answer(client, **{"q.RATING": "3", "q.COMMENTS": "x" * 501})
    assert status == 400 and 'id="err-COMMENTS"' in text
    assert responses_stored(client) == 0


def test_a_survey_that_is_not_open_to_the_guest(site: tuple[TestClient, str]) -> None:
    client, _ = site
    assert client.get(f"{SITE}/survey?code=NOPE").status_code == 404
    assert client.get(f"{SITE}/survey/done?code=NOPE").status_code == 404


def test_a_survey_needing_an_opt_in_asks_for_it_first(
    site: tuple[TestClient, str], surveys_with: Callable[..., None]
) -> None:
    client, _ = site
    surveys_with(
        a_survey(
            "AGREE",
            opt_in_required=True,
            questions=[
                {
                    "code": "Q",
                    "text": "Which?",
                    "type": "single_choice",
                    "required": True,
                    "choices": [{"code": "A", "text": "Ay"}, {"code": "B", "text": "Bee"}],
                }
            ],
        )
    )
    form = client.get(f"{SITE}/survey?code=AGREE").text
    assert "I agree to take this survey" in form and "Which?" not in form
    agreed = submit(client, "survey", {"survey": "AGREE"}, page="survey?code=AGREE")
    assert agreed.status_code == 303 and agreed.headers["location"] == f"{SITE}/survey?code=AGREE"
    form = client.get(f"{SITE}/survey?code=AGREE").text
    assert "<legend>Which? <span" in form
    done = submit(client, "survey", {"survey": "AGREE", "q.Q": "B"}, page="survey?code=AGREE")
    assert done.status_code == 303 and done.headers["location"].endswith("code=AGREE")


def test_the_form_needs_a_session_and_its_csrf_token(site: tuple[TestClient, str]) -> None:
    client, _ = site
    client.get(f"{SITE}/{SURVEY}")
    forged = client.post(
        f"{SITE}/survey", data={"survey": DEMO, "q.RATING": "5"}, follow_redirects=False
    )
    assert forged.status_code == 403 and responses_stored(client) == 0
    client.cookies.delete("pxs_session", path=f"{SITE}/")
    for path in ("surveys", SURVEY, f"survey/done?code={DEMO}"):
        away = client.get(f"{SITE}/{path}", follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == f"{SITE}/signin"
    assert answer(client, **{"q.RATING": "5"}) == (303, f"{SITE}/signin")
    assert responses_stored(client) == 0

"""Region Event Service: geofence regions around the guest's store and the crossings
the app reports (regionevent.yaml), over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openpxs.store.tables import region_events
from tests.api.guests import as_guest, body_of, enroll, gget, gpost, sign_in, user_fields
from tests.api.pos import APP, run_db

SCOPES = "user_read account_read region_event_post"


def guest(client: TestClient, scope: str = SCOPES) -> tuple[str, str]:
    """(card, access token) of a new guest whose favourite store is 1002."""
    reply = body_of(
        gpost(
            client,
            "enrollment",
            "createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "activationStoreCode": "corp",
                "setUserFields": user_fields("ada"),
                "setAccountFields": {"style": "typed", "favoriteStore": [{"code": "1002"}]},
            },
        )
    )
    assert reply["result"] == "cardCreatedSuccess", reply
    return reply["printedCardNumber"], sign_in(client, "ada", scope=scope)["access_token"]


def definitions(client: TestClient, token: str, card: str) -> Any:
    return gget(
        client,
        "regionevent",
        "regionDefinitions",
        as_guest(token, printedCardNumber=card),
        auth=None,
    )


def post_event(client: TestClient, token: str, card: str, auth: Any = None, **members: Any) -> Any:
    body = {**as_guest(token, printedCardNumber=card), "storeCode": "1002", **members}
    return gpost(client, "regionevent", "postRegionEvent", body, auth=auth)


def recorded(client: TestClient) -> list[tuple[str, str]]:
    async def work(conn: Any) -> list[tuple[str, str]]:
        rows = await conn.execute(
            select(region_events.c.store_code, region_events.c.event_type).order_by(
                region_events.c.id
            )
        )
        return [(r.store_code, r.event_type) for r in rows]

    found: list[tuple[str, str]] = run_db(client, work)
    return found


def test_the_region_is_around_the_favourite_store(client: TestClient) -> None:
    card, token = guest(client)
    reply = body_of(definitions(client, token, card))
    assert reply["result"] == "success"
    assert reply["geoRegions"] == [
        {
            "coordinates": {"latitude": "42.364", "longitude": "-71.0785"},
            "regionType": "storeCode",
            "radius": 500,
            "storeCode": "1002",
        }
    ]
    assert reply["regionEventAccessToken"] not in ("", token)


def test_the_region_token_reports_crossings(client: TestClient) -> None:
    card, token = guest(client)
    region_token = body_of(definitions(client, token, card))["regionEventAccessToken"]
    entered = body_of(post_event(client, region_token, card, eventType="ENTER"))
    assert entered == {"result": "success"}
    body_of(
        post_event(client, region_token, card, eventType="exit", eventTime="2026-12-06T12:00:00Z")
    )
    assert recorded(client) == [("1002", "ENTER"), ("1002", "EXIT")]


def test_without_a_favourite_the_enrollment_store_is_used(client: TestClient) -> None:
    card = enroll(client, "ada")["printedCardNumber"]  # enrolled at corp
    token = sign_in(client, "ada", scope=SCOPES)["access_token"]
    reply = body_of(definitions(client, token, card))
    assert [r["storeCode"] for r in reply["geoRegions"]] == ["corp"]


def test_a_token_without_the_scope_is_refused(client: TestClient) -> None:
    card, token = guest(client, scope="user_read account_read")
    reply = body_of(definitions(client, token, card))
    assert reply["errorCode"] == "regionevent.missing_scope"
    assert body_of(post_event(client, token, card, eventType="ENTER"))["errorCode"] == (
        "regionevent.missing_scope"
    )
    assert recorded(client) == []


def test_someone_elses_card_is_an_invalid_card(client: TestClient) -> None:
    _, token = guest(client)
    other = enroll(client, "bob")["printedCardNumber"]
    assert body_of(definitions(client, token, other))["errorCode"] == "regionevent.invalid_card"
    reply = body_of(post_event(client, token, other, eventType="ENTER"))
    assert reply["errorCode"] == "regionevent.invalid_card"


def test_a_dead_token_is_a_401_invalid_token(client: TestClient) -> None:
    card, _ = guest(client)
    # As on every oauth call, with the app's credentials or with the token alone.
    reply = body_of(post_event(client, "not-a-token", card, APP, eventType="ENTER"), 401)
    assert reply["errorCode"] == "invalid_token"
    alone = body_of(post_event(client, "not-a-token", card, eventType="ENTER"), 401)
    assert alone["errorCode"] == "invalid_token"
    assert recorded(client) == []


def test_bad_events_are_refused_and_not_recorded(client: TestClient) -> None:
    card, token = guest(client)
    cases = [
        ({"eventType": "HOVER"}, "regionevent.invalid_request"),
        ({"eventType": None}, "regionevent.invalid_request"),
        ({"eventType": "ENTER", "eventTime": "soon"}, "regionevent.invalid_request"),
        ({"eventType": "ENTER", "eventTime": "2026-12-06T12:00:00"}, "regionevent.invalid_request"),
        ({"eventType": "ENTER", "storeCode": "9999"}, "regionevent.invalid_region"),
        ({"eventType": "ENTER", "storeCode": None}, "regionevent.invalid_region"),
    ]
    for members, code in cases:
        body = {k: v for k, v in members.items() if v is not None}
        if members.get("storeCode", "") is None:
            response = gpost(
                client,
                "regionevent",
                "postRegionEvent",
                {**as_guest(token, printedCardNumber=card), **body},
                auth=None,
            )
        else:
            response = post_event(client, token, card, **body)
        assert body_of(response)["errorCode"] == code, members
    assert recorded(client) == []

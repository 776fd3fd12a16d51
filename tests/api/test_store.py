"""Store Service: the store locator and the store list (store.yaml), over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.geo import distance_miles
from tests.api.guests import body_of, gget, gpost
from tests.program_config import program_editor

BOSTON = {"latitude": "42.3601", "longitude": "-71.0589"}


def nearby(client: TestClient, **params: Any) -> dict[str, Any]:
    query = {"authentication": "anonymous", **BOSTON, "maxDistance": "10", "maxLocations": 15}
    return body_of(gget(client, "store", "nearbyLocations", {**query, **params}))


def codes(reply: dict[str, Any]) -> list[str]:
    assert reply["result"] == "success", reply
    return [loc["code"] for loc in reply["locations"]]


def test_nearest_stores_come_first_with_their_distance(client: TestClient) -> None:
    reply = nearby(client)
    assert codes(reply) == ["1001", "corp", "1002"]
    downtown = reply["locations"][0]
    assert downtown == {
        "code": "1001",
        "name": "Downtown",
        "address": {
            "address1": "120 Tremont Street",
            "city": "Boston",
            "stateProvince": "MA",
            "postalCode": "02108",
            "country": "US",
            "phone": "6175551001",
        },
        "distance": downtown["distance"],
        "hoursOfOperation": "M-F: 7-9, Sat-Sun: 8-8",
        "latitude": "42.3563",
        "longitude": "-71.0622",
        "metadata": [{"hasDriveThru": False}],
    }
    # Sent as a string, the great-circle distance in miles at full precision.
    assert float(downtown["distance"]) == distance_miles(42.3601, -71.0589, 42.3563, -71.0622)
    distances = [float(loc["distance"]) for loc in reply["locations"]]
    assert distances == sorted(distances)


def test_max_distance_and_max_locations_limit_the_list(client: TestClient) -> None:
    assert codes(nearby(client, maxDistance="0.32")) == ["1001"]
    assert codes(nearby(client, maxLocations="2")) == ["1001", "corp"]
    # Nothing within reach is a success with no locations.
    assert codes(nearby(client, latitude="40.7128", longitude="-74.0060")) == []


def test_a_store_group_limits_the_search(client: TestClient) -> None:
    assert codes(nearby(client, storeGroupCode=2)) == ["1001", "1002"]
    assert codes(nearby(client, storeGroupCode="1")) == ["corp"]


def test_an_unknown_store_group_is_refused(client: TestClient) -> None:
    reply = nearby(client, storeGroupCode=99)
    assert reply["result"] == "failure"
    assert reply["errorCode"] == "store.invalid_store_group"


def test_the_members_may_come_as_a_json_object_of_strings(client: TestClient) -> None:
    body = {
        "authentication": "anonymous",
        "merchantId": "1000",
        **BOSTON,
        "maxDistance": "10.0",
        "maxLocations": "15",
    }
    reply = body_of(gpost(client, "store", "nearbyLocations", body))
    assert codes(reply) == ["1001", "corp", "1002"]


@pytest.mark.parametrize(
    "bad",
    [
        {"latitude": "north"},
        {"latitude": "90.5"},
        {"longitude": "-181"},
        {"maxDistance": "-1"},
        {"maxDistance": "NaN"},
        {"maxDistance": "99999"},
        {"maxLocations": "0"},
        {"maxLocations": "1.5"},
        {"latitude": None},
    ],
)
def test_bad_coordinates_and_limits_are_invalid_input(
    client: TestClient, bad: dict[str, Any]
) -> None:
    params = {"authentication": "anonymous", **BOSTON, "maxDistance": "10", "maxLocations": 15}
    params.update(bad)
    params = {k: v for k, v in params.items() if v is not None}
    reply = body_of(gget(client, "store", "nearbyLocations", params))
    assert reply["result"] == "failure", reply
    assert reply["errorCode"] == "store.invalid_input"


def test_the_store_list_has_every_store_without_distances(client: TestClient) -> None:
    reply = body_of(gget(client, "store", "stores", {"authentication": "anonymous"}))
    assert codes(reply) == ["1001", "1002", "corp"]
    assert all("distance" not in loc for loc in reply["locations"])
    grouped = body_of(
        gget(client, "store", "stores", {"authentication": "anonymous", "storeGroupCode": 1})
    )
    assert codes(grouped) == ["corp"]


def test_stores_without_coordinates_are_listed_but_never_near(client: TestClient) -> None:
    def drop_coordinates(data: dict[str, Any]) -> None:
        for store in data["stores"]:
            if store["code"] == "1002":
                del store["latitude"], store["longitude"]

    with program_editor(client) as change:
        change(drop_coordinates)
        assert codes(nearby(client)) == ["1001", "corp"]
        listed = body_of(gget(client, "store", "stores", {"authentication": "anonymous"}))
        assert "1002" in codes(listed)


def test_a_store_moved_in_the_program_file_is_found_where_it_now_is(client: TestClient) -> None:
    def move_riverside(data: dict[str, Any]) -> None:
        for store in data["stores"]:
            if store["code"] == "1002":
                store["latitude"], store["longitude"] = 40.7128, -74.0060

    with program_editor(client) as change:
        change(move_riverside)
        assert codes(nearby(client)) == ["1001", "corp"]
        assert codes(nearby(client, latitude="40.7130", longitude="-74.0062")) == ["1002"]


def test_another_merchants_credentials_cannot_search_this_merchant(client: TestClient) -> None:
    response = gget(
        client,
        "store",
        "nearbyLocations",
        {"authentication": "anonymous", **BOSTON, "maxDistance": "10", "maxLocations": 5},
        auth=("demo2-pos", "demo2-pos-secret"),
    )
    reply = response.json()
    assert reply["result"] == "failure"
    assert "locations" not in reply

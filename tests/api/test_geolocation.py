"""Geolocation Service: an address to coordinates (geolocation.yaml), with the built-in
offline gazetteer and with a Nominatim server (a local fake that speaks its protocol)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.integrations.geo.offline import known_zip_codes
from tests.api.guests import body_of, gpost
from tests.api.pos import POS
from tests.fakes.nominatim import FakeNominatim, fake_nominatim
from tests.program_config import program_editor

ADDRESS = {"address": "1 Federal Street", "city": "Boston", "stateProvince": "MA"}


def locate(client: TestClient, auth: tuple[str, str] | None = None, **members: Any) -> Any:
    body = {"authentication": "anonymous", **ADDRESS, **members}
    body = {k: v for k, v in body.items() if v is not None}
    if auth is not None:
        return body_of(gpost(client, "geolocation", "coordinatesByAddress", body, auth=auth))
    return body_of(gpost(client, "geolocation", "coordinatesByAddress", body))


def test_the_offline_gazetteer_gives_the_zip_codes_middle(client: TestClient) -> None:
    reply = locate(client, postalCode="02110")
    assert reply == {"result": "success", "lat": "42.3576", "lon": "-71.0514", "exactMatch": False}


def test_without_a_known_zip_code_the_city_stands_for_the_address(client: TestClient) -> None:
    by_city = locate(client, postalCode="99999", stateProvince="Massachusetts")
    assert by_city["result"] == "success"
    # Boston's first ZIP code in the gazetteer is 02108.
    assert (by_city["lat"], by_city["lon"]) == ("42.3576", "-71.0684")
    assert by_city["exactMatch"] is False


def test_the_gazetteer_holds_a_few_hundred_zip_codes() -> None:
    codes = known_zip_codes()
    assert 200 <= len(codes) <= 400
    assert {"02108", "02110", "02142"} <= codes


def test_an_unknown_place_is_address_not_found(client: TestClient) -> None:
    reply = locate(client, city="Nowhere", stateProvince="VT", postalCode=None)
    assert reply["result"] == "failure"
    # Both the documented member names and the platform's.
    assert reply["code"] == reply["errorCode"] == "geolocation.address_not_found"
    assert reply["message"] == reply["errorMessage"]


def test_another_country_is_not_in_the_offline_gazetteer(client: TestClient) -> None:
    reply = locate(client, city="Toronto", stateProvince="Ontario", country="Canada")
    assert reply["errorCode"] == "geolocation.address_not_found"


@pytest.mark.parametrize(
    "bad",
    [
        {"address": None},
        {"city": "  "},
        {"stateProvince": None},
        {"stateProvince": "Atlantis"},
        {"country": "Narnia"},
        {"address": "x" * 201},
        {"city": ["Boston"]},
    ],
)
def test_missing_or_malformed_inputs_are_an_input_failure(
    client: TestClient, bad: dict[str, Any]
) -> None:
    reply = locate(client, **bad)
    assert reply["result"] == "inputFailure", reply
    assert reply["code"] == "geolocation.invalid_input"


def test_b2b_callers_may_geocode_too(client: TestClient) -> None:
    reply = locate(client, auth=POS, authentication="b2b", postalCode="02142")
    assert reply["result"] == "success"


@pytest.fixture
def nominatim(client: TestClient) -> Iterator[FakeNominatim]:
    with fake_nominatim() as fake, program_editor(client) as change:

        def use_fake(data: dict[str, Any]) -> None:
            data.setdefault("places", {})["geocoder"] = {
                "kind": "nominatim",
                "base_url": fake.base_url,
                "user_agent": "OpenPXS tests",
                "timeout_seconds": 2,
            }

        change(use_fake)
        yield fake


def test_a_nominatim_house_match_is_exact(client: TestClient, nominatim: FakeNominatim) -> None:
    reply = locate(client, postalCode="02110", country="United States of America")
    assert reply == {
        "result": "success",
        "lat": "42.3554986",
        "lon": "-71.0568407",
        "exactMatch": True,
    }
    [request] = nominatim.requests
    assert request["path"] == "/search"
    assert request["agent"] == "OpenPXS tests"
    assert request["query"] == {
        "street": "1 Federal Street",
        "city": "Boston",
        "state": "MA",
        "postalcode": "02110",
        "countrycodes": "us",
        "format": "jsonv2",
        "limit": "1",
    }


def test_a_nominatim_street_match_is_approximate(
    client: TestClient, nominatim: FakeNominatim
) -> None:
    reply = locate(client, address="12 Main Street", city="Concord", stateProvince="ma")
    assert reply["result"] == "success"
    assert reply["exactMatch"] is False
    assert nominatim.requests[0]["query"]["state"] == "MA"


def test_nominatim_finding_nothing_is_address_not_found(
    client: TestClient, nominatim: FakeNominatim
) -> None:
    reply = locate(client, address="1 Nowhere Lane")
    assert reply["errorCode"] == "geolocation.address_not_found"


@pytest.mark.parametrize(
    "trouble",
    [
        ("status", 503),
        ("body", b"<html>busy</html>"),
        ("body", b'{"error": "x"}'),
        ("body", b'[{"lat": "north", "lon": "1"}]'),
        ("body", b'[{"lat": "95", "lon": "1"}]'),
    ],
)
def test_a_geocoder_in_trouble_is_a_system_error(
    client: TestClient, nominatim: FakeNominatim, trouble: tuple[str, Any]
) -> None:
    nominatim.trouble = trouble
    reply = locate(client)
    assert reply["result"] == "failure"
    assert reply["code"] == "geolocation.system_error"


def test_an_unreachable_geocoder_is_a_system_error(client: TestClient) -> None:
    with fake_nominatim() as fake:
        gone = fake.base_url
    with program_editor(client) as change:
        change(
            lambda data: data.setdefault("places", {}).update(
                geocoder={"kind": "nominatim", "base_url": gone, "timeout_seconds": 1}
            )
        )
        reply = locate(client)
    assert reply["code"] == "geolocation.system_error"

"""Apple's PassKit web service: registrations, updated serials, the latest pass and the
log, with the statuses Apple's reference gives."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from email.utils import format_datetime
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from tests.api.guests import body_of, gget
from tests.api.pass_certs import PASS_TYPE, PassCerts, apple_fixture, certs_fixture  # noqa: F401
from tests.api.pos import LOYALTY, POS, activate

DEVICE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def issued(client: TestClient) -> tuple[str, str]:
    """The serial number and authentication token of LOYALTY's pass."""
    activate(client, LOYALTY)
    params = {"authentication": "b2b", "printedCardNumber": LOYALTY}
    url = body_of(gget(client, "applepassbook", "passbookUrl", params, auth=POS))["url"]
    parts = urlsplit(url)
    serial = parts.path.rsplit("/", 1)[1].removesuffix(".pkpass")
    return serial, parse_qs(parts.query)["token"][0]


def registration(serial: str, device: str = DEVICE, pass_type: str = PASS_TYPE) -> str:
    return f"/passkit/v1/devices/{device}/registrations/{pass_type}/{serial}"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"ApplePass {token}"}


def serials(client: TestClient, since: str | None = None, device: str = DEVICE) -> Any:
    query = f"?passesUpdatedSince={since}" if since else ""
    return client.get(f"/passkit/v1/devices/{device}/registrations/{PASS_TYPE}{query}")


def test_register_twice_list_and_unregister(client: TestClient, apple: PassCerts) -> None:
    serial, token = issued(client)
    push = {"pushToken": "feedface" * 8}
    assert client.post(registration(serial), json=push, headers=auth(token)).status_code == 201
    assert client.post(registration(serial), json=push, headers=auth(token)).status_code == 200
    listed = serials(client)
    assert listed.status_code == 200
    body = listed.json()
    assert body["serialNumbers"] == [serial]
    # Nothing changed since the tag it gave: no content.
    assert serials(client, body["lastUpdated"]).status_code == 204
    assert serials(client, device="another-device").status_code == 204
    assert client.delete(registration(serial), headers=auth(token)).status_code == 200
    assert serials(client).status_code == 204


def test_a_wrong_or_missing_token_is_401(client: TestClient, apple: PassCerts) -> None:
    serial, token = issued(client)
    push = {"pushToken": "feedface"}
    assert client.post(registration(serial), json=push, headers=auth("nope")).status_code == 401
    assert client.post(registration(serial), json=push).status_code == 401
    assert client.post(registration("0" * 32), json=push, headers=auth(token)).status_code == 401
    wrong_type = registration(serial, pass_type="pass.other")
    assert client.post(wrong_type, json=push, headers=auth(token)).status_code == 401
    assert client.delete(registration(serial), headers=auth("nope")).status_code == 401
    assert client.get(f"/passkit/v1/passes/{PASS_TYPE}/{serial}").status_code == 401
    # A registration without a push token is a bad request.
    assert client.post(registration(serial), json={}, headers=auth(token)).status_code == 400


def test_the_latest_pass_with_last_modified_and_304(client: TestClient, apple: PassCerts) -> None:
    serial, token = issued(client)
    path = f"/passkit/v1/passes/{PASS_TYPE}/{serial}"
    got = client.get(path, headers=auth(token))
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/vnd.apple.pkpass"
    document = json.loads(zipfile.ZipFile(BytesIO(got.content)).read("pass.json"))
    assert document["serialNumber"] == serial and document["authenticationToken"] == token
    modified = got.headers["last-modified"]
    same = client.get(path, headers={**auth(token), "If-Modified-Since": modified})
    assert same.status_code == 304
    old = format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(path, headers={**auth(token), "If-Modified-Since": old}).status_code == 200


def test_the_device_log_is_accepted(client: TestClient) -> None:
    assert client.post("/passkit/v1/log", json={"logs": ["a problem"]}).status_code == 200

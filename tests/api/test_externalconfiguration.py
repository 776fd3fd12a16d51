"""External Configuration Service: the demo app's content set (externalconfiguration.yaml)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.guests import body_of, gpost

OLD, NEW = "20261101090000", "20261201090000"


def ask(client: TestClient, auth: Any = None, **body: Any) -> dict[str, Any]:
    request = {
        "authentication": "anonymous",
        "integrationId": "demo-app",
        "appId": "com.openpxs.demo",
        **body,
    }
    if auth is None:
        return body_of(gpost(client, "externalconfiguration", "getMobileAppConfig", request))
    return body_of(gpost(client, "externalconfiguration", "getMobileAppConfig", request, auth=auth))


def test_an_app_gets_what_changed_since_its_version(client: TestClient) -> None:
    assert ask(client, version=NEW) == {"result": "noUpdates", "version": NEW}
    assert ask(client, version=OLD) == {
        "result": "withUpdates",
        "version": NEW,
        "deleteImages": [],
        "downloadImages": {"home5": "https://demo.openpxs.org/app/20261201/home5.png"},
    }
    fresh = ask(client, version="")
    assert fresh["result"] == "withUpdates"
    assert fresh["deleteImages"] == []
    assert set(fresh["downloadImages"]) == {"home5", "home5@2x"}


def test_unknown_apps_and_other_integrations_are_refused(client: TestClient) -> None:
    unknown = ask(client, version=NEW, appId="com.example.other")
    assert (unknown["result"], unknown["errorCode"]) == (
        "failure",
        "externalconfiguration.app_not_found",
    )
    other = ask(client, version=NEW, integrationId="demo-pos")
    assert other["errorCode"] == "externalconfiguration.invalid_integration"

"""Helpers for calling the guest-facing services as a mobile app or website would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.pos import APP, POS

PASSWORD = "Sup3rSecret!"


def rest(service: str, operation: str, release: str = "24.11") -> str:
    return f"/rest/{release}/{service}/{operation}.json"


def gpost(
    client: TestClient,
    service: str,
    operation: str,
    body: dict[str, Any],
    auth: tuple[str, str] | None = APP,
    **kwargs: Any,
) -> Response:
    return client.post(
        rest(service, operation), json={"merchantId": 1000, **body}, auth=auth, **kwargs
    )


def gget(
    client: TestClient,
    service: str,
    operation: str,
    params: dict[str, Any],
    auth: tuple[str, str] | None = APP,
    **kwargs: Any,
) -> Response:
    return client.get(
        rest(service, operation), params={"merchantId": 1000, **params}, auth=auth, **kwargs
    )


def body_of(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    return data


def user_fields(username: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "style": "typed",
        "username": [username],
        "password": [PASSWORD],
        "firstName": ["Ada"],
        "lastName": ["Lovelace"],
        "email": [email or f"{username}@example.com"],
    }
    fields.update(extra)
    return fields


def enroll(
    client: TestClient, username: str = "ada", email: str | None = None, **extra: Any
) -> dict[str, Any]:
    """createAndRegister a guest on template 1; returns the reply (with oauthTokens)."""
    reply = body_of(
        gpost(
            client,
            "enrollment",
            "createAndRegister",
            {
                "authentication": "anonymous",
                "cardTemplateCode": 1,
                "activationStoreCode": "corp",
                "enforceUniqueFields": ["username", "email"],
                "setUserFields": user_fields(username, email, **extra),
                "setAccountFields": {"style": "typed"},
            },
        )
    )
    assert reply["result"] == "cardCreatedSuccess", reply
    return reply


def sign_in(
    client: TestClient, username: str = "ada", password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "authentication": "anonymous",
                "grant_type": "password",
                "username": username,
                "password": password,
                **extra,
            },
        )
    )


def as_guest(token: str, **params: Any) -> dict[str, Any]:
    return {"authentication": "oauth", "access_token": token, **params}


def b2b(**params: Any) -> dict[str, Any]:
    return {"authentication": "b2b", **params}


__all__ = ["APP", "PASSWORD", "POS"]


def slower_each_time(failures: int) -> list[float]:
    """The waits of that many refused guesses in a row: each answers 0.05 s later than
    the one before, up to a second (the locked calls after them wait for nothing)."""
    return [min(0.05 * n, 1.0) for n in range(1, failures + 1)]

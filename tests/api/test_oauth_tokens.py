"""OAuth tokens as credentials: lifetime, revocation, refresh rotation, and the bounds of
merchant, integration and authentication style that a token never crosses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from openpxs.domain.clock import ShiftedClock
from openpxs.wire.registry import Endpoint
from tests.api.guests import APP, PASSWORD, as_guest, body_of, gget, gpost, rest
from tests.api.pos import POS, POS2
from tests.api.security import (
    M2000_APP,
    OTHER_APP,
    Guest,
    build_request,
    ensure_integrations,
    fresh_token,
    guest_a,
    leaks,
    oauth_endpoints,
    send,
)


def user_info(client: TestClient, token: str, **kwargs: Any) -> Response:
    return gget(client, "guest", "userInformation", as_guest(token), **kwargs)


def works(response: Response, guest: Guest) -> bool:
    return (
        response.status_code == 200
        and response.json().get("result") == "success"
        and response.json()["fields"]["username"] == guest.username
    )


def invalid_token(response: Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["errorCode"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


def refresh(client: TestClient, token: str, auth: tuple[str, str] = APP) -> dict[str, Any]:
    return body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "refresh_token", "refresh_token": token},
            auth=auth,
        )
    )


def invalid_grant(reply: dict[str, Any]) -> None:
    assert reply["result"] == "failure" and reply["errorCode"] == "invalid_grant", reply
    assert "access_token" not in reply and "refresh_token" not in reply


# --- lifetime ---------------------------------------------------------------------


@pytest.mark.parametrize("ep", oauth_endpoints(), ids=lambda ep: ep.path)
def test_an_expired_token_is_refused_everywhere(
    client: TestClient, clock: ShiftedClock, ep: Endpoint
) -> None:
    a = guest_a(client)
    second = fresh_token(client, a)
    members = build_request(ep, {}, a)
    # First the expired call, so that nothing a live call does (ending the sign-in,
    # deleting the user) can be what refuses it.
    clock.offset = timedelta(minutes=30, seconds=5)
    expired = send(client, ep, {**members, **as_guest(a.access_token)})
    invalid_token(expired)
    assert leaks(expired, a) == []
    # Without the secret (client_id only) the same.
    token_only = send(
        client, ep, {**members, **as_guest(a.access_token, client_id=APP[0])}, auth=None
    )
    invalid_token(token_only)
    # A token of the same age less a minute still gets past the credentials.
    clock.offset = timedelta(minutes=29)
    alive = send(client, ep, {**members, **as_guest(second)})
    assert alive.status_code != 401, alive.text


def test_expired_unknown_and_revoked_tokens(client: TestClient, clock: ShiftedClock) -> None:
    a = guest_a(client)
    assert works(user_info(client, a.access_token), a)

    invalid_token(user_info(client, "not-a-token-at-all"))
    invalid_token(user_info(client, a.access_token + "x"))
    invalid_token(gget(client, "guest", "userInformation", {"authentication": "oauth"}))

    revoked = body_of(gpost(client, "oauth", "revokeGuestToken", as_guest(a.access_token)))
    assert revoked["result"] == "success"
    invalid_token(user_info(client, a.access_token))
    invalid_token(
        gget(
            client,
            "guest",
            "accountInformation",
            as_guest(a.access_token, printedCardNumber=a.card),
        )
    )
    # Revoking ends the whole sign-in: its refresh token too.
    invalid_grant(refresh(client, a.refresh_token))

    # A token of a new sign-in expires after its 30 minutes; the refresh token outlives it.
    signed_in = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "password", "username": a.username, "password": PASSWORD},
        )
    )
    clock.offset = timedelta(minutes=31)
    invalid_token(user_info(client, signed_in["access_token"]))
    renewed = refresh(client, signed_in["refresh_token"])
    assert renewed["result"] == "success"
    assert works(user_info(client, renewed["access_token"]), a)


def test_access_and_refresh_tokens_are_not_interchangeable(client: TestClient) -> None:
    a = guest_a(client)
    invalid_token(user_info(client, a.refresh_token))
    invalid_grant(refresh(client, a.access_token))
    # Neither attempt spent or ended anything.
    assert works(user_info(client, a.access_token), a)
    assert refresh(client, a.refresh_token)["result"] == "success"


def test_a_refresh_token_works_once_and_its_reuse_ends_the_sign_in(client: TestClient) -> None:
    a = guest_a(client)
    first = refresh(client, a.refresh_token)
    assert first["result"] == "success" and first["refresh_token"] != a.refresh_token
    assert works(user_info(client, first["access_token"]), a)
    # The access token it replaces stops working at once.
    invalid_token(user_info(client, a.access_token))

    # The same refresh token again: someone holds a copy. Refused, and every token of
    # that sign-in ends, including the newer pair.
    invalid_grant(refresh(client, a.refresh_token))
    invalid_token(user_info(client, first["access_token"]))
    invalid_token(user_info(client, a.access_token))
    invalid_grant(refresh(client, first["refresh_token"]))

    # Another sign-in of the same guest is untouched.
    other = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "password", "username": a.username, "password": PASSWORD},
        )
    )
    assert works(user_info(client, other["access_token"]), a)


# --- bounds ---------------------------------------------------------------------------


def test_tokens_do_not_cross_merchants(client: TestClient) -> None:
    ensure_integrations(client)
    a = guest_a(client)
    params = as_guest(a.access_token, merchantId=2000)

    # An oauth-capable app of merchant 2000 does not know merchant 1000's tokens.
    other_app = client.get(rest("guest", "userInformation"), params=params, auth=M2000_APP)
    invalid_token(other_app)
    # merchant 2000's POS may not use oauth at all.
    pos = client.get(rest("guest", "userInformation"), params=params, auth=POS2)
    assert pos.json()["errorCode"] == "system.authentication_style_not_allowed"
    # merchant 1000's app naming merchant 2000, with or without its secret, or by host.
    same_app = client.get(rest("guest", "userInformation"), params=params, auth=APP)
    assert same_app.json()["errorCode"] == "guest.invalid_merchant"
    token_only = client.get(
        rest("guest", "userInformation"), params={**params, "client_id": APP[0]}
    )
    assert token_only.json()["errorCode"] == "guest.invalid_merchant"
    by_host = client.get(
        rest("guest", "userInformation"),
        params=as_guest(a.access_token, merchantId=1000),
        auth=APP,
        headers={"host": "m2000.example.com"},
    )
    assert by_host.json()["errorCode"] == "guest.invalid_merchant"
    for reply in (other_app, pos, same_app, token_only, by_host):
        assert reply.json()["result"] == "failure"
        assert leaks(reply, a) == []

    # Nor does a refresh token, at merchant 2000's token endpoint.
    crossed = client.post(
        rest("oauth", "requestGuestToken"),
        json={"merchantId": 2000, "grant_type": "refresh_token", "refresh_token": a.refresh_token},
        auth=M2000_APP,
    )
    invalid_grant(crossed.json())
    assert works(user_info(client, a.access_token), a)


def test_tokens_do_not_cross_integrations(client: TestClient) -> None:
    ensure_integrations(client)
    a = guest_a(client)  # signed in through demo-app
    invalid_token(user_info(client, a.access_token, auth=OTHER_APP))
    # Naming another integration beside the token, without its secret.
    for client_id in (OTHER_APP[0], POS[0], "no-such-integration"):
        wrong = gget(
            client,
            "guest",
            "userInformation",
            as_guest(a.access_token, client_id=client_id),
            auth=None,
        )
        assert wrong.status_code == 401, wrong.text
        assert wrong.json()["errorCode"] == "system.authentication_failed"
        assert leaks(wrong, a) == []
    invalid_grant(refresh(client, a.refresh_token, auth=OTHER_APP))
    # The refused tries spent nothing: the owner's tokens still work.
    assert works(user_info(client, a.access_token), a)
    renewed = refresh(client, a.refresh_token)
    assert renewed["result"] == "success"

    # The sanctioned way across: a one-use authorization grant.
    grant = body_of(
        gpost(client, "oauth", "requestAuthorizationGrant", as_guest(renewed["access_token"]))
    )
    redeemed = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "authorization_code", "code": grant["authorizationGrant"]},
            auth=OTHER_APP,
        )
    )
    assert works(user_info(client, redeemed["access_token"], auth=OTHER_APP), a)
    again = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "authorization_code", "code": grant["authorizationGrant"]},
            auth=OTHER_APP,
        )
    )
    invalid_grant(again)


def test_a_bearer_header_works_like_access_token(client: TestClient) -> None:
    a = guest_a(client)
    path = rest("guest", "userInformation")
    bearer = client.get(
        path,
        params={"merchantId": 1000, "authentication": "oauth"},
        headers={"Authorization": f"Bearer {a.access_token}"},
    )
    assert works(bearer, a)
    with_id = client.get(
        path,
        params={"merchantId": 1000, "authentication": "oauth", "client_id": APP[0]},
        headers={"Authorization": f"Bearer {a.access_token}"},
    )
    assert works(with_id, a)
    posted = client.post(
        rest("oauth", "requestAuthorizationGrant"),
        json={"merchantId": 1000, "authentication": "oauth"},
        headers={"Authorization": f"Bearer {a.access_token}"},
    )
    assert posted.json()["result"] == "success" and posted.json()["authorizationGrant"]

    unknown = client.get(
        path,
        params={"merchantId": 1000, "authentication": "oauth"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    invalid_token(unknown)
    # A refresh token is no bearer token.
    invalid_token(
        client.get(
            path,
            params={"merchantId": 1000, "authentication": "oauth"},
            headers={"Authorization": f"Bearer {a.refresh_token}"},
        )
    )


def test_a_token_without_secret_works_only_for_the_oauth_style(client: TestClient) -> None:
    a = guest_a(client)
    no_secret = {"access_token": a.access_token, "client_id": APP[0]}

    ok = gget(client, "guest", "userInformation", {"authentication": "oauth", **no_secret}, None)
    assert works(ok, a)

    for service, operation, method, members in (
        # anonymous is allowed here, but not on the strength of a guest's token
        ("oauth", "revokeGuestToken", "POST", {"authentication": "anonymous"}),
        (
            "guest",
            "accountInformation",
            "GET",
            {"authentication": "card", "printedCardNumber": a.card, "registrationCode": "0"},
        ),
        # no style named: the endpoint's default (anonymous) is not oauth either
        ("oauth", "revokeGuestToken", "POST", {}),
    ):
        body = {"merchantId": 1000, **members, **no_secret}
        if method == "GET":
            reply = client.get(rest(service, operation), params=body)
        else:
            reply = client.post(rest(service, operation), json=body)
        assert reply.status_code == 401, (operation, reply.text)
        assert reply.json()["errorCode"] == "system.authentication_failed"

    # Endpoints without the oauth style take no token in place of the secret.
    sign_in = gpost(
        client,
        "oauth",
        "requestGuestToken",
        {
            "authentication": "anonymous",
            "grant_type": "password",
            "username": a.username,
            "password": PASSWORD,
            **no_secret,
        },
        auth=None,
    )
    assert sign_in.status_code == 401
    assert "access_token" not in sign_in.json()
    # The token was not ended by any of this.
    assert works(user_info(client, a.access_token), a)

"""The guest identity layer: one guest never reaches another's data, scopes hold, and
guest-facing credentials cannot act as a back office.

The matrices read the endpoint registry, so an endpoint registered later is covered
without editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from openpxs.wire.registry import Endpoint
from tests.api.guests import APP, PASSWORD, as_guest, body_of, gget, gpost
from tests.api.security import (
    OTHER_APP,
    Guest,
    b2b_endpoints,
    b2b_view,
    build_request,
    ensure_integrations,
    failed,
    fresh_token,
    guest_a,
    guest_b,
    identifying_members,
    identity_kind,
    leaks,
    normalised,
    oauth_endpoints,
    send,
    value_for,
)

# Endpoints whose request cannot be built from the request model alone, with the reason.
# Keep this short: every endpoint left out here is an endpoint nobody checks.
SKIP: dict[str, str] = {}

# Endpoints that refuse a generic request about the caller's own data for a reason
# unrelated to whose data it is (a workflow or code must come first); they still get the
# no-leak, same-as-unknown and no-change checks.
PRECONDITION: dict[str, str] = {
    "enrollment/completeAutomaticCombine.json": "needs a workflow from beginAutomaticCombine",
    "enrollment/automaticCombineCandidates.json": "needs a workflow from beginAutomaticCombine",
    "guest/eClubAccountInformation.json": "the guests here are not e-club members",
    "enrollment/editEClubAccount.json": "the guests here are not e-club members",
    "guest/combineCards.json": "combining needs two cards of the guest's own",
    "guest/eClubUserInformation.json": "the guests here are not e-club members",
    # The card is inside the account object and checkinTime must be the present time:
    # test_checkin.py shows a guest checks in only their own account.
    "checkin/checkinAccount.json": "the card is a member of the nested account object",
    # The tokens here lack region_event_post; test_regionevent.py shows a guest with
    # the scope reaches only their own card.
    "regionevent/regionDefinitions.json": "needs a token with the region_event_post scope",
    "regionevent/postRegionEvent.json": "needs a token with the region_event_post scope",
    # groupCode names no group here; test_socialgroup.py shows a guest acts only as itself.
    "socialgroup/inviteByEmailAddress.json": "needs a social group the guest is in",
    "socialgroup/requestToJoinByEmailAddress.json": "needs a social group with a friend in it",
    # Guests here have no messages; test_message.py shows a guest deletes only their own.
    "message/deleteMessage.json": "needs a message in the guest's own inbox",
    # The generated request has no url; test_googlewallet.py shows a guest gets the token
    # of their own card only.
    "googlewallet/generateSaveToAndroidPayJWT.json": "needs the url of the page",
}

# Guest styles a caller can use to name someone else's card/account/user. card is left
# out: its printedCardNumber is both the credential and the card addressed.
GUEST_STYLES = ("oauth", "guest", "email")


def _cases() -> list[Any]:
    cases = []
    for ep in oauth_endpoints():
        for style in GUEST_STYLES:
            if style not in ep.styles:
                continue
            # guest/email authenticate with username/email: the request cannot name another.
            credential = {"guest": "username", "email": "email"}.get(style)
            if credential and credential in ep.request.model_fields:
                continue
            marks = [pytest.mark.skip(reason=SKIP[ep.path])] if ep.path in SKIP else []
            cases.append(pytest.param(ep, style, id=f"{ep.path}[{style}]", marks=marks))
    return cases


def _as(client: TestClient, style: str, guest: Guest) -> tuple[dict[str, Any], tuple[str, str]]:
    """The authentication members (and integration) acting as ``guest`` in ``style``."""
    if style == "oauth":
        # A fresh sign-in per call: a call may end its own sign-in (revokeGuestToken).
        return as_guest(fresh_token(client, guest)), APP
    if style == "guest":
        return {"authentication": "guest", "username": guest.username, "password": PASSWORD}, (
            OTHER_APP
        )
    return {"authentication": "email", "email": guest.email, "cardTemplateCode": 1}, APP


def _call(
    client: TestClient,
    ep: Endpoint,
    style: str,
    actor: Guest,
    owners: dict[str, Guest | None],
    refresh_of: Guest | None,
) -> Response:
    frame, auth = _as(client, style, actor)
    members = build_request(ep, owners, actor)
    if "refresh_token" in ep.request.model_fields:
        # A token is an identity too: name the owner's, or one nobody was given.
        members["refresh_token"] = refresh_of.refresh_token if refresh_of else "no-such-token"
    return send(client, ep, {**members, **frame}, auth=auth)


def _values(ep: Endpoint, owners: dict[str, Guest | None], actor: Guest) -> list[Any]:
    out = []
    for name in identifying_members(ep):
        kind = identity_kind(name.rpartition(".")[2])
        assert kind is not None
        out.append(value_for(kind, owners.get(name, actor)))
    return out


WIRE_REFUSALS = {
    "system.authentication_style_not_allowed",
    "system.authentication_failed",
    "invalid_token",
    "insufficient_scope",
}


def reached_handler(response: Response) -> bool:
    """The call got past credentials, style, scope and validation: it was answered by
    the endpoint itself, acting for the caller."""
    if response.status_code != 200:
        return False
    code = response.json().get("errorCode") or ""
    return code not in WIRE_REFUSALS and not code.endswith(".invalid_request")


@pytest.mark.parametrize(("ep", "style"), _cases())
def test_a_guest_cannot_reach_another_guests_data(
    client: TestClient, ep: Endpoint, style: str
) -> None:
    ensure_integrations(client)
    a, b = guest_a(client), guest_b(client)
    before = b2b_view(client, b)
    names = identifying_members(ep)
    # Name B everywhere; with several identifying members also B in one, A in the rest
    # (a transfer from B's card to A's, say).
    variants: list[dict[str, Guest | None]] = [dict.fromkeys(names, b)]
    if len(names) > 1:
        variants += [{m: (b if m == n else a) for m in names} for n in names]

    own: dict[str, Guest | None] = dict.fromkeys(names, a)
    refusals = []
    for owners in variants:
        about_b = _call(client, ep, style, a, owners, b)
        assert leaks(about_b, b) == [], f"{ep.path} showed guest B's data: {about_b.text}"
        if names:
            unknown = {n: (None if who is b else who) for n, who in owners.items()}
            about_nobody = _call(client, ep, style, a, unknown, None)
            # B's data is answered exactly like data that does not exist.
            assert normalised(about_b, *_values(ep, owners, a)) == normalised(
                about_nobody, *_values(ep, unknown, a)
            ), (owners, about_b.text, about_nobody.text)
            if failed(about_b):
                refusals.append(normalised(about_b, *_values(ep, owners, a)))

    # Last (it may change A's data or end A's sign-in): the same request about A's own
    # data reaches the endpoint, and is answered otherwise than the refusals about B - so
    # those were the access check, not a request this test built wrongly.
    about_a = _call(client, ep, style, a, own, a)
    assert reached_handler(about_a), f"{ep.path}: fix the request built: {about_a.text}"
    if ep.path not in PRECONDITION:
        mine = normalised(about_a, *_values(ep, own, a))
        assert all(mine != refusal for refusal in refusals), (
            f"{ep.path}: A's own call is refused like B's (add it to PRECONDITION?): {about_a.text}"
        )

    assert b2b_view(client, b) == before, f"{ep.path} changed guest B's data"


def test_the_matrix_covers_the_guest_reads_and_edits() -> None:
    """A guard against the matrix silently covering nothing."""
    covered = {ep.path for ep in oauth_endpoints()}
    assert {
        "guest/accountInformation.json",
        "guest/userInformation.json",
        "enrollment/editAccount.json",
    } <= covered
    assert all(
        identifying_members(ep)
        for ep in oauth_endpoints()
        if ep.path in ("guest/accountInformation.json", "enrollment/editAccount.json")
    )


# --- scopes ------------------------------------------------------------------------


@pytest.mark.parametrize("ep", [ep for ep in oauth_endpoints() if ep.scope], ids=lambda ep: ep.path)
def test_each_endpoint_needs_its_scope(client: TestClient, ep: Endpoint) -> None:
    a = guest_a(client)
    other = "user_read" if ep.scope != "user_read" else "account_read"
    narrow = fresh_token(client, a, scope=other)
    refused = send(client, ep, {**build_request(ep, {}, a), **as_guest(narrow)})
    assert refused.status_code == 403, refused.text
    assert refused.json()["errorCode"] == "insufficient_scope"
    assert leaks(refused, a) == []

    enough = fresh_token(client, a, scope=ep.scope)
    allowed = send(client, ep, {**build_request(ep, {}, a), **as_guest(enough)})
    assert allowed.status_code != 403, allowed.text
    assert allowed.json().get("errorCode") != "insufficient_scope"


def test_a_user_read_token_reads_the_user_but_not_the_account(client: TestClient) -> None:
    a = guest_a(client)
    signed_in = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "authentication": "anonymous",
                "grant_type": "password",
                "username": a.username,
                "password": PASSWORD,
                "scope": "user_read",
            },
        )
    )
    assert signed_in["scope"] == "user_read"
    token = signed_in["access_token"]

    info = body_of(gget(client, "guest", "userInformation", as_guest(token)))
    assert info["result"] == "success" and info["fields"]["username"] == a.username

    for operation, params in (
        ("accountInformation", {"printedCardNumber": a.card}),
        ("accountInformationById", {"accountId": a.account_id}),
        ("transactionHistory", {"printedCardNumber": a.card}),
    ):
        reply = gget(client, "guest", operation, as_guest(token, **params))
        assert reply.status_code == 403, reply.text
        assert reply.json()["errorCode"] == "insufficient_scope"
        assert a.card not in reply.text

    edit = gpost(
        client,
        "enrollment",
        "editAccount",
        as_guest(
            token,
            printedCardNumber=a.card,
            setUserFields={"style": "typed", "firstName": ["Changed"]},
        ),
    )
    assert edit.status_code == 403 and edit.json()["errorCode"] == "insufficient_scope"
    after = body_of(gget(client, "guest", "userInformation", as_guest(token)))
    assert after["fields"]["firstName"] == a.first_name

    # A refresh keeps the narrow scope and cannot widen it.
    wider = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "grant_type": "refresh_token",
                "refresh_token": signed_in["refresh_token"],
                "scope": "user_read account_write",
            },
        )
    )
    assert wider["result"] == "failure" and wider["errorCode"] == "invalid_scope"
    assert "access_token" not in wider
    # Nor can an authorization grant be wider than the token that asks for it.
    grant = body_of(
        gpost(client, "oauth", "requestAuthorizationGrant", as_guest(token, scope="account_read"))
    )
    assert grant["result"] == "failure" and grant["errorCode"] == "insufficient_scope"
    assert "authorizationGrant" not in grant


@pytest.mark.parametrize("scope", ["root", "user_read admin", "account_read ACCOUNT_WRITE"])
def test_an_unknown_scope_is_refused_at_sign_in(client: TestClient, scope: str) -> None:
    a = guest_a(client)
    reply = body_of(
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "authentication": "anonymous",
                "grant_type": "password",
                "username": a.username,
                "password": PASSWORD,
                "scope": scope,
            },
        )
    )
    assert reply["result"] == "failure" and reply["errorCode"] == "invalid_scope", reply
    assert "access_token" not in reply and "refresh_token" not in reply


# --- b2b --------------------------------------------------------------------------


@pytest.mark.parametrize("ep", b2b_endpoints(), ids=lambda ep: ep.path)
def test_a_guest_facing_credential_cannot_act_as_b2b(client: TestClient, ep: Endpoint) -> None:
    """demo-app (no b2b style) asking for b2b is refused on every b2b endpoint, even when
    it names a real guest's card, account and username."""
    b = guest_b(client)
    members = {**build_request(ep, {}, b), "authentication": "b2b"}
    reply = send(client, ep, members, auth=APP)
    assert reply.status_code == 200, reply.text
    assert reply.json()["result"] == "failure"
    assert reply.json()["errorCode"] == "system.authentication_style_not_allowed", reply.text
    assert leaks(reply, b) == []


def test_b2b_lookups_named_in_the_brief_are_refused_to_the_app(client: TestClient) -> None:
    b = guest_b(client)
    info = body_of(
        gget(client, "guest", "userInformation", {"authentication": "b2b", "username": b.username})
    )
    assert info["errorCode"] == "system.authentication_style_not_allowed"
    assert b.first_name not in str(info)
    balance = client.post(
        "/rest/24.11/transaction/balanceInquiry.json",
        json={
            "authentication": "b2b",
            "headerInfo": {"merchantId": 1000, "storeCode": "1001"},
            "cardInfo": {"printedCardNumber": b.card},
        },
        auth=APP,
    )
    assert balance.json()["errorCode"] == "system.authentication_style_not_allowed"
    # Leaving the style out on a b2b-only endpoint defaults to b2b: still refused.
    balance = client.post(
        "/rest/24.11/transaction/balanceInquiry.json",
        json={
            "headerInfo": {"merchantId": 1000, "storeCode": "1001"},
            "cardInfo": {"printedCardNumber": b.card},
        },
        auth=APP,
    )
    assert balance.json()["errorCode"] == "system.authentication_style_not_allowed"
    # A guest token is no b2b credential either (b2b endpoints read no body credentials).
    token_only = client.post(
        "/rest/24.11/transaction/balanceInquiry.json",
        json={
            "authentication": "b2b",
            "access_token": b.access_token,
            "client_id": APP[0],
            "headerInfo": {"merchantId": 1000, "storeCode": "1001"},
            "cardInfo": {"printedCardNumber": b.card},
        },
    )
    assert token_only.status_code == 401
    assert token_only.json()["errorCode"] == "system.authentication_failed"


# --- secrets never leak -------------------------------------------------------------

# The test client's own loggers: they record the URLs this test sends, query included.
CLIENT_LOGGERS = ("httpx", "httpcore")
REGISTRATION_CODE = "Rq7Zk2Wv9X"


def _set_code(number: str, code: str) -> Any:
    from sqlalchemy import update

    from openpxs.security import seal_registration_code
    from openpxs.store.tables import cards

    async def work(conn: Any) -> None:
        await conn.execute(
            update(cards)
            .where(cards.c.printed_card_number == number)
            .values(registration_code=seal_registration_code(number, code))
        )

    return work


def test_secrets_appear_in_no_log_record_and_no_other_reply(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from tests.api.pos import run_db

    ensure_integrations(client)
    a = guest_a(client)
    # A registration code to look for (the enrolled card's own is six digits).
    run_db(client, _set_code(a.card, REGISTRATION_CODE))
    # Every logger at DEBUG, those that do not propagate (the app's own) included.
    caplog.set_level(logging.DEBUG)
    quiet = [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if not logging.getLogger(name).propagate
    ]
    saved = [(lg, lg.level) for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(caplog.handler)
    replies: list[tuple[str, Response]] = []
    try:
        signed_in = gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "password", "username": a.username, "password": PASSWORD},
        )
        replies.append(("sign-in", signed_in))
        tokens = signed_in.json()
        refreshed = gpost(
            client,
            "oauth",
            "requestGuestToken",
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        replies.append(("refresh", refreshed))
        issued = {
            "sign-in": (tokens["access_token"], tokens["refresh_token"]),
            "refresh": (refreshed.json()["access_token"], refreshed.json()["refresh_token"]),
        }
        for name, response in (
            (
                "wrong password",
                gpost(
                    client,
                    "oauth",
                    "requestGuestToken",
                    {"grant_type": "password", "username": a.username, "password": PASSWORD + "!"},
                ),
            ),
            (
                "old refresh",
                gpost(
                    client,
                    "oauth",
                    "requestGuestToken",
                    {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                ),
            ),
            ("user", gget(client, "guest", "userInformation", as_guest(a.access_token))),
            (
                "guest style",
                gget(
                    client,
                    "guest",
                    "userInformation",
                    {"authentication": "guest", "username": a.username, "password": PASSWORD},
                    auth=OTHER_APP,
                ),
            ),
            (
                "wrong guest style",
                gget(
                    client,
                    "guest",
                    "userInformation",
                    {
                        "authentication": "guest",
                        "username": a.username,
                        "password": "nope" + PASSWORD,
                    },
                    auth=OTHER_APP,
                ),
            ),
            (
                "card style",
                gget(
                    client,
                    "guest",
                    "accountInformation",
                    {
                        "authentication": "card",
                        "printedCardNumber": a.card,
                        "registrationCode": REGISTRATION_CODE,
                    },
                ),
            ),
            (
                "wrong code",
                gget(
                    client,
                    "guest",
                    "accountInformation",
                    {
                        "authentication": "card",
                        "printedCardNumber": a.card,
                        "registrationCode": REGISTRATION_CODE[::-1],
                    },
                ),
            ),
            ("revoke", gpost(client, "oauth", "revokeGuestToken", as_guest(a.access_token))),
            ("revoked", gget(client, "guest", "userInformation", as_guest(a.access_token))),
        ):
            replies.append((name, response))
    finally:
        for lg, level in saved:
            lg.setLevel(level)
            lg.removeHandler(caplog.handler)

    assert dict(replies)["card style"].json()["result"] == "success"  # the flow did run
    assert dict(replies)["wrong code"].json()["errorCode"] == "system.invalid_card_credentials"
    assert dict(replies)["revoked"].status_code == 401
    secrets = {
        "password": PASSWORD,
        "registration code": REGISTRATION_CODE,
        "enrollment access token": a.access_token,
        "enrollment refresh token": a.refresh_token,
    }
    for name, (access, refresh_token) in issued.items():
        secrets[f"{name} access token"] = access
        secrets[f"{name} refresh token"] = refresh_token

    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name.startswith("openpxs") for r in records), "no server log was captured"
    for record in records:
        text = record.getMessage() + repr(getattr(record, "fields", "")) + repr(record.args)
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in a log record of {record.name}: {text}"

    for name, response in replies:
        own = issued.get(name, ())
        for what, secret in secrets.items():
            if secret in own:
                continue
            assert secret not in response.text, f"{what} in the {name} reply: {response.text}"
    # The user's fields never carry the password, not even as a hash or a blank member.
    for name in ("user", "guest style"):
        info = dict(replies)[name].json()
        assert info["result"] == "success" and info["fields"]["username"] == a.username
        assert "password" not in dict(replies)[name].text.lower(), name

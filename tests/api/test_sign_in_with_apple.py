"""Sign in with Apple in an app: requestGuestToken's grant http://paytronix.com/oauth/apple
with Apple's identity token and the app's nonce, against a local fake of Apple's keys.

An Apple id linked to no guest is answered no_matching_guests; the app enrols the guest
with createAndRegister, naming the Apple id as an external account and proving it with
the same token; the grant then signs that guest in. Every refusal changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from openpxs.config.loader import ConfigError
from tests.api.guests import as_guest, body_of, enroll, gget, gpost, user_fields
from tests.api.pos import refused
from tests.fakes.apple_id import APP_ID, CLIENT_ID, TEAM_ID, FakeAppleId, _new_key, hashed
from tests.program_config import edited_config, program_editor

GRANT = "http://paytronix.com/oauth/apple"
TABLES = ("users", "accounts", "external_accounts", "oauth_tokens")


def apple_section(apple_id: FakeAppleId, **extra: Any) -> dict[str, Any]:
    return {"client_ids": [APP_ID], "keys_url": apple_id.keys_url, **extra}


@pytest.fixture
def apple_app(client: TestClient, apple_id: FakeAppleId) -> Iterator[TestClient]:
    """The demo program with Sign in with Apple for the demo's app."""
    with program_editor(client) as change:
        change(lambda data: data["guest"].__setitem__("apple", apple_section(apple_id)))
        yield client


def counts(client: TestClient) -> dict[str, int]:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def count() -> dict[str, int]:
        async with engine.connect() as conn:
            return {
                t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar())
                for t in TABLES
            }

    assert client.portal is not None
    return client.portal.call(count)


def app_token(apple_id: FakeAppleId, nonce: str | None, **claims: Any) -> str:
    """The identity token Apple gives the app that asked with SHA-256 of ``nonce``."""
    return apple_id.token(hashed(nonce) if nonce else None, **{"aud": APP_ID, **claims})


def grant(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"grant_type": GRANT, **{k: v for k, v in fields.items() if v is not None}}
    return body_of(gpost(client, "oauth", "requestGuestToken", body))


def create(client: TestClient, username: str, **extra: Any) -> dict[str, Any]:
    body = {
        "authentication": "anonymous",
        "cardTemplateCode": 1,
        "enforceUniqueFields": ["username", "email"],
        "setUserFields": user_fields(username),
        **extra,
    }
    return body_of(gpost(client, "enrollment", "createAndRegister", body))


def apple_account(sub: str, identifier: str = "apple") -> dict[str, Any]:
    return {
        "style": "typed",
        "externalAccounts": [{"externalIdentifier": identifier, "accountCode": sub}],
    }


def test_unlinked_apple_id_enrols_then_signs_in(
    apple_app: TestClient, apple_id: FakeAppleId
) -> None:
    nonce = secrets.token_urlsafe(16)
    token = app_token(apple_id, nonce)
    before = counts(apple_app)
    unknown = refused(grant(apple_app, id_token=token, nonce=nonce), "no_matching_guests")
    assert unknown["errorMessage"] == "No guest is linked to this Apple ID"
    assert counts(apple_app) == before

    joined = create(
        apple_app,
        "appleada",
        setAccountFields=apple_account(apple_id.subject),
        id_token=token,
        nonce=nonce,
    )
    assert joined["result"] == "cardCreatedSuccess", joined
    card = joined["printedCardNumber"]

    signed_in = grant(apple_app, id_token=token, nonce=nonce)
    assert signed_in["result"] == "success" and signed_in["username"] == "appleada"
    assert signed_in["token_type"] == "bearer" and signed_in["expires_in"] == 1800
    assert signed_in["scope"] == "user_read user_write account_read account_write"
    # A later sign-in, with a new token and nonce, signs the same guest in.
    again = secrets.token_urlsafe(16)
    later = grant(apple_app, id_token=app_token(apple_id, again), nonce=again, scope="account_read")
    assert later["username"] == "appleada" and later["scope"] == "account_read"
    info = body_of(
        gget(
            apple_app,
            "guest",
            "accountInformation",
            as_guest(signed_in["access_token"], printedCardNumber=card),
        )
    )
    assert info["result"] == "success"
    assert {"externalIdentifier": "apple", "accountCode": apple_id.subject} in info["fields"][
        "externalAccounts"
    ]
    # The refresh token works as the password grant's does.
    refreshed = grant(
        apple_app, grant_type="refresh_token", refresh_token=signed_in["refresh_token"]
    )
    assert refreshed["username"] == "appleada"


FAULTS = (
    "website_audience",
    "other_audience",
    "issuer",
    "expired",
    "signature",
    "wrong_nonce",
    "raw_nonce_in_token",
    "no_nonce_sent",
    "no_nonce_anywhere",
    "no_token",
    "not_a_jwt",
    "hs256",
)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_token_that_does_not_hold_is_invalid_grant_and_writes_nothing(
    apple_app: TestClient, apple_id: FakeAppleId, fault: str
) -> None:
    nonce = secrets.token_urlsafe(16)
    # A linked guest, so that only the fault stands between the call and tokens.
    linked = create(
        apple_app,
        "linked",
        setAccountFields=apple_account(apple_id.subject),
        id_token=app_token(apple_id, nonce),
        nonce=nonce,
    )
    assert linked["result"] == "cardCreatedSuccess", linked
    sent: dict[str, Any] = {"id_token": app_token(apple_id, nonce), "nonce": nonce}
    if fault == "website_audience":
        sent["id_token"] = apple_id.token(hashed(nonce), aud=CLIENT_ID)
    elif fault == "other_audience":
        sent["id_token"] = apple_id.token(hashed(nonce), aud="com.other.app")
    elif fault == "issuer":
        sent["id_token"] = app_token(apple_id, nonce, iss="https://evil.example")
    elif fault == "expired":
        sent["id_token"] = app_token(apple_id, nonce, exp=1_700_000_000, iat=1_699_999_000)
    elif fault == "signature":
        sent["id_token"] = app_token(apple_id, nonce, key=_new_key())
    elif fault == "wrong_nonce":
        sent["nonce"] = "another-nonce"
    elif fault == "raw_nonce_in_token":
        # Whoever holds a token can read its nonce claim: it must be the hash.
        sent["id_token"] = apple_id.token(nonce, aud=APP_ID)
    elif fault == "no_nonce_sent":
        sent["nonce"] = None
    elif fault == "no_nonce_anywhere":
        sent = {"id_token": app_token(apple_id, None), "nonce": None}
    elif fault == "no_token":
        sent["id_token"] = None
    elif fault == "not_a_jwt":
        sent["id_token"] = "not.a.token"
    elif fault == "hs256":
        import jwt

        sent["id_token"] = jwt.encode(
            {"iss": "https://appleid.apple.com", "aud": APP_ID, "sub": apple_id.subject},
            secrets.token_hex(32),
            algorithm="HS256",
            headers={"kid": apple_id.kid},
        )
    before = counts(apple_app)
    reply = refused(grant(apple_app, **sent), "invalid_grant")
    assert reply["errorMessage"] == "The Apple identity token is not valid."
    assert counts(apple_app) == before
    # The same call with the token as Apple gave it signs the guest in.
    assert (
        grant(apple_app, id_token=app_token(apple_id, nonce), nonce=nonce)["username"] == "linked"
    )


def test_a_program_may_accept_tokens_without_a_nonce(
    client: TestClient, apple_id: FakeAppleId
) -> None:
    with program_editor(client) as change:
        change(
            lambda data: data["guest"].__setitem__(
                "apple", apple_section(apple_id, require_nonce=False)
            )
        )
        create(
            client,
            "nononce",
            setAccountFields=apple_account(apple_id.subject),
            id_token=app_token(apple_id, None),
        )
        assert grant(client, id_token=app_token(apple_id, None))["username"] == "nononce"
        # A token asked for with a nonce still needs it: only its app knows it.
        refused(grant(client, id_token=app_token(apple_id, "n0nce")), "invalid_grant")
        assert grant(client, id_token=app_token(apple_id, "n0nce"), nonce="n0nce")["result"] == (
            "success"
        )


def test_without_the_apple_section_the_grant_is_not_offered(client: TestClient) -> None:
    reply = refused(grant(client, id_token="x.y.z", nonce="n"), "unsupported_grant_type")
    assert reply["errorMessage"] == "Sign in with Apple is not offered"
    before = counts(client)
    # Nor can an Apple ID be linked: nothing can prove it.
    joined = create(client, "noapple", setAccountFields=apple_account("001.x"), id_token="x.y.z")
    refused(joined, "enrollment.field_validation")
    assert joined["errorsByField"]["setAccountFields/externalAccounts"][0]["code"] == "not_proven"
    assert counts(client) == before


def test_an_apple_id_is_linked_only_with_its_token(
    apple_app: TestClient, apple_id: FakeAppleId
) -> None:
    nonce = secrets.token_urlsafe(16)
    token = app_token(apple_id, nonce)
    before = counts(apple_app)
    # Naming someone's Apple id is not enough, whatever the identifier's case in config.
    bare = create(apple_app, "squatter", setAccountFields=apple_account(apple_id.subject))
    refused(bare, "enrollment.field_validation")
    assert bare["errorsByField"]["setAccountFields/externalAccounts"][0]["code"] == "proof_required"
    # A token of another Apple user does not prove this one.
    other = create(
        apple_app,
        "squatter",
        setAccountFields=apple_account("001234.someone-else.0001"),
        id_token=token,
        nonce=nonce,
    )
    refused(other, "enrollment.field_validation")
    assert other["errorsByField"]["setAccountFields/externalAccounts"][0]["code"] == "not_proven"
    bad = create(
        apple_app,
        "squatter",
        setAccountFields=apple_account(apple_id.subject),
        id_token=app_token(apple_id, nonce, aud="com.other.app"),
        nonce=nonce,
    )
    assert bad["errorsByField"]["setAccountFields/externalAccounts"][0]["code"] == "not_proven"
    assert counts(apple_app) == before

    # A guest with a password links Apple from the app with editExternalAccounts.
    ada = enroll(apple_app, "ada")
    card, access = ada["printedCardNumber"], ada["oauthTokens"]["access_token"]
    pair = {"externalIdentifier": "apple", "accountCode": apple_id.subject}

    def edit(**extra: Any) -> dict[str, Any]:
        return body_of(
            gpost(
                apple_app,
                "enrollment",
                "editExternalAccounts",
                as_guest(access, printedCardNumber=card, addExternalAccounts=[pair], **extra),
            )
        )

    unproven = refused(edit(), "enrollment.field_validation")
    assert unproven["errorsByField"]["addExternalAccounts/0"][0]["code"] == "proof_required"
    wrong = refused(edit(id_token=token, nonce="other"), "enrollment.field_validation")
    assert wrong["errorsByField"]["id_token"][0]["code"] == "not_proven"
    refused(grant(apple_app, id_token=token, nonce=nonce), "no_matching_guests")
    assert edit(id_token=token, nonce=nonce)["result"] == "success"
    assert grant(apple_app, id_token=token, nonce=nonce)["username"] == "ada"
    # Linked: no one else can enrol with it, even with the token.
    taken = create(
        apple_app,
        "second",
        setAccountFields=apple_account(apple_id.subject),
        id_token=token,
        nonce=nonce,
    )
    assert (
        taken["errorsByField"]["setAccountFields/externalAccounts"][0]["code"] == "already_linked"
    )
    # Other systems' ids link as before, without proof.
    partner = create(apple_app, "partnered", setAccountFields=apple_account("p-1", "PARTNER"))
    assert partner["result"] == "cardCreatedSuccess", partner


def test_the_apps_and_the_website_share_one_apple_identity(apple_id: FakeAppleId) -> None:
    def both(**app: Any) -> Any:
        def edit(data: dict[str, Any]) -> None:
            data["guest"]["website"]["apple"] = {"client_id": CLIENT_ID, "team_id": TEAM_ID}
            data["guest"]["apple"] = {"client_ids": [APP_ID], **app}

        return edit

    assert edited_config(both()).guest.apple is not None
    with pytest.raises(ConfigError, match="one Apple user would be two guests"):
        edited_config(both(external_identifier="apple-app"))
    with pytest.raises(ConfigError, match="keys_url"):
        edited_config(both(keys_url="https://keys.example/auth/keys"))
    with pytest.raises(ConfigError, match="client_ids"):
        edited_config(lambda data: data["guest"].__setitem__("apple", {"client_ids": []}))

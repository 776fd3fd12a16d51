"""Guest tokens below HTTP: refreshing, replayed refresh tokens, authorization grants
and signing out, each in units of work as the dispatcher opens them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.intents import EndSignIn
from openpxs.services import after_refusal, guest_tokens, oauth
from openpxs.services.context import Call
from openpxs.services.guest_tokens import TokenGrant
from openpxs.services.oauth import TokenSet
from openpxs.store.uow import UnitOfWork
from tests.api.guests import PASSWORD, enroll
from tests.services.conftest import merchant_call

Run = Callable[..., Any]
# The instant every call below runs at: tokens and grants are checked against it.
NOW = ShiftedClock().now()


async def app_call(uow: UnitOfWork, now: datetime = NOW) -> Call:
    return await merchant_call(uow, now, integration="demo-app")


def sign_in(in_unit_of_work: Run, scope: str | None = None) -> TokenSet:
    async def work(uow: UnitOfWork) -> TokenSet:
        grant = TokenGrant("password", scope=scope, username="ada", password=PASSWORD)
        return await guest_tokens.request_tokens(await app_call(uow), grant)

    tokens: TokenSet = in_unit_of_work(work)
    return tokens


def refreshing(token: str, scope: str | None = None) -> Callable[[UnitOfWork], Any]:
    async def work(uow: UnitOfWork) -> TokenSet:
        grant = TokenGrant("refresh_token", scope=scope, refresh_token=token)
        return await guest_tokens.request_tokens(await app_call(uow), grant)

    return work


def refresh(in_unit_of_work: Run, token: str, scope: str | None = None) -> TokenSet:
    tokens: TokenSet = in_unit_of_work(refreshing(token, scope))
    return tokens


def refused(in_unit_of_work: Run, work: Callable[[UnitOfWork], Any]) -> DomainError:
    """The refusal ``work`` ends in; its unit of work is rolled back."""
    with pytest.raises(DomainError) as caught:
        in_unit_of_work(work)
    return caught.value


def token_works(in_unit_of_work: Run, access_token: str) -> bool:
    async def work(uow: UnitOfWork) -> bool:
        call = await app_call(uow)
        try:
            await oauth.principal_for_token(uow, call.integration, access_token, NOW)
        except DomainError as error:
            assert error.reason == Reason.INVALID_TOKEN
            return False
        return True

    works: bool = in_unit_of_work(work)
    return works


def test_a_refresh_rotates_both_tokens_in_the_same_sign_in(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada")
    first = sign_in(in_unit_of_work, scope="user_read account_read")
    second = refresh(in_unit_of_work, first.refresh_token, scope="user_read")

    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert second.scope == "user_read" and second.user_id == first.user_id
    # One live access token per sign-in: the replaced one stops working.
    assert not token_works(in_unit_of_work, first.access_token)
    assert token_works(in_unit_of_work, second.access_token)

    # A refresh may narrow the scope but never widen it.
    wider = refused(in_unit_of_work, refreshing(second.refresh_token, "user_read account_write"))
    assert wider.reason == Reason.INVALID_SCOPE and wider.intents == ()
    # The refused refresh rolled back: its refresh token is still unused.
    assert refresh(in_unit_of_work, second.refresh_token).scope == "user_read"


def test_a_replayed_refresh_token_ends_the_sign_in_through_its_intent(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada")
    first = sign_in(in_unit_of_work)
    second = refresh(in_unit_of_work, first.refresh_token)

    replay = refused(in_unit_of_work, refreshing(first.refresh_token))
    assert replay.reason == Reason.INVALID_GRANT and replay.detail is None
    [intent] = replay.intents
    assert isinstance(intent, EndSignIn)
    # The refusal itself changed nothing (its unit of work rolled back) ...
    assert token_works(in_unit_of_work, second.access_token)

    # ... the sign-in ends when the intent is carried out, as the dispatcher does.
    async def carry_out(uow: UnitOfWork) -> float:
        return await after_refusal.carry_out(uow, replay.intents)

    assert in_unit_of_work(carry_out) == 0.0
    assert not token_works(in_unit_of_work, second.access_token)
    ended = refused(in_unit_of_work, refreshing(second.refresh_token))
    assert ended.reason == Reason.INVALID_GRANT


def test_an_authorization_grant_hands_the_guest_to_another_integration_once(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada")
    tokens = sign_in(in_unit_of_work, scope="user_read account_read")

    async def guest_call(uow: UnitOfWork) -> Call:
        call = await app_call(uow)
        principal = await oauth.principal_for_token(uow, call.integration, tokens.access_token, NOW)
        return dataclasses.replace(call, principal=principal)

    async def too_wide(uow: UnitOfWork) -> Any:
        return await guest_tokens.issue_authorization_grant(await guest_call(uow), "user_write")

    assert refused(in_unit_of_work, too_wide).reason == Reason.INSUFFICIENT_SCOPE

    async def issue(uow: UnitOfWork) -> guest_tokens.AuthorizationGrant:
        return await guest_tokens.issue_authorization_grant(await guest_call(uow), None)

    grant: guest_tokens.AuthorizationGrant = in_unit_of_work(issue)
    assert grant.expires_in == 300

    def exchange(scope: str | None = None) -> Callable[[UnitOfWork], Any]:
        async def work(uow: UnitOfWork) -> TokenSet:
            pos = await merchant_call(uow, NOW)  # another integration of the merchant
            asked = TokenGrant("authorization_code", scope=scope, code=grant.code)
            return await guest_tokens.request_tokens(pos, asked)

        return work

    wider = refused(in_unit_of_work, exchange("user_write"))
    assert (wider.reason, wider.detail) == (
        Reason.INVALID_SCOPE,
        "The grant does not cover this scope",
    )
    handed: TokenSet = in_unit_of_work(exchange())
    assert handed.user_id == tokens.user_id
    assert set(handed.scope.split()) == {"user_read", "account_read"}
    again = refused(in_unit_of_work, exchange())
    assert (again.reason, again.detail) == (Reason.INVALID_GRANT, guest_tokens.GRANT_NOT_VALID)


def test_signing_out_by_token_needs_a_token_of_the_same_integration(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada")
    tokens = sign_in(in_unit_of_work)

    async def as_pos(uow: UnitOfWork) -> None:
        await guest_tokens.sign_out(await merchant_call(uow, NOW), None, tokens.refresh_token)

    other = refused(in_unit_of_work, as_pos)
    assert (other.reason, other.detail) == (Reason.INVALID_TOKEN, "No such token")
    assert token_works(in_unit_of_work, tokens.access_token)

    async def as_app(uow: UnitOfWork) -> None:
        await guest_tokens.sign_out(await app_call(uow), None, tokens.refresh_token)

    in_unit_of_work(as_app)
    assert not token_works(in_unit_of_work, tokens.access_token)
    assert refused(in_unit_of_work, refreshing(tokens.refresh_token)).reason == (
        Reason.INVALID_GRANT
    )


@pytest.mark.parametrize(
    ("grant", "detail"),
    [
        ("implicit", "Unknown grant_type 'implicit'"),
        (guest_tokens.FIELDSET_GRANT, guest_tokens.FIELDSET_NOT_OFFERED),
    ],
)
def test_grants_not_offered(
    client: TestClient, in_unit_of_work: Run, grant: str, detail: str
) -> None:
    async def work(uow: UnitOfWork) -> TokenSet:
        return await guest_tokens.request_tokens(await app_call(uow), TokenGrant(grant))

    error = refused(in_unit_of_work, work)
    assert (error.reason, error.detail) == (Reason.UNSUPPORTED_GRANT_TYPE, detail)

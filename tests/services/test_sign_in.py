"""The authentication styles below HTTP: an access token proves its guest only to the
integration it was issued to and only while it lives; a wrong card is counted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.identity import Principal
from openpxs.domain.intents import CountFailures
from openpxs.services import sign_in
from openpxs.store.uow import UnitOfWork
from tests.api.guests import enroll
from tests.api.pos import LOYALTY
from tests.services.conftest import merchant_call

Run = Callable[..., Any]
# The instant every call below runs at, unless a test says otherwise.
NOW = ShiftedClock().now()


def by_token(
    in_unit_of_work: Run, token: str | None, now: datetime = NOW, integration: str = "demo-app"
) -> Principal | DomainError:
    """The principal the token proves, or the refusal."""

    async def work(uow: UnitOfWork) -> Principal:
        call = await merchant_call(uow, now, integration=integration)
        params = {"access_token": token}
        return await sign_in.by_token(
            sign_in.SignInAttempt(uow, call.program, call.integration, params, now, False)
        )

    try:
        principal: Principal = in_unit_of_work(work)
    except DomainError as error:
        return error
    return principal


def test_an_access_token_proves_its_guest_to_its_integration_while_it_lives(
    client: TestClient, in_unit_of_work: Run
) -> None:
    created = enroll(client, "ada")
    token = created["oauthTokens"]["access_token"]

    proven = by_token(in_unit_of_work, token)
    assert isinstance(proven, Principal) and proven.style == "oauth"
    assert proven.user_id is not None and proven.token_family is not None

    missing = by_token(in_unit_of_work, None)
    assert isinstance(missing, DomainError) and missing.detail == "An access_token is required"
    for refusal in (
        missing,
        by_token(in_unit_of_work, token, integration="demo-pos"),
        by_token(in_unit_of_work, token, ShiftedClock().now() + timedelta(minutes=31)),
    ):
        assert isinstance(refusal, DomainError) and refusal.reason == Reason.INVALID_TOKEN
        assert refusal.intents == ()


def test_a_wrong_registration_code_is_counted_per_card_address_and_range(
    client: TestClient, in_unit_of_work: Run
) -> None:
    async def work(uow: UnitOfWork) -> Principal:
        call = await merchant_call(uow, NOW, integration="demo-app")
        params = {"printedCardNumber": LOYALTY, "registrationCode": "wrong"}
        return await sign_in.by_card(
            sign_in.SignInAttempt(
                uow, call.program, call.integration, params, NOW, True, "203.0.113.7"
            )
        )

    with pytest.raises(DomainError) as caught:
        in_unit_of_work(work)
    assert caught.value.reason == Reason.INVALID_CARD_CREDENTIALS
    [counted] = caught.value.intents
    assert isinstance(counted, CountFailures) and counted.slow
    # The card from this address, the card from everywhere, the address, the range of
    # card numbers: nothing keyed by the integration, whose credential is public.
    assert [(limit.subject, limit.free) for limit in counted.limits] == [
        (f"card:{LOYALTY}@203.0.113.7", 5),
        (f"card:{LOYALTY}", 20),
        ("source:203.0.113.7", 30),
        (f"range:{LOYALTY[:-4]}", 1000),
    ]

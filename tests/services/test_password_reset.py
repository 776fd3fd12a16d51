"""Password reset below HTTP: starting a reset with a caller's own code, completing it,
and what a refused completion leaves behind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.identity import Principal
from openpxs.domain.intents import CountFailures
from openpxs.security import verify_secret
from openpxs.services import password_reset
from openpxs.services.password_reset import Identifier
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork
from tests.api.guests import enroll
from tests.api.test_onetimepassword import outbox_messages
from tests.services.conftest import merchant_call

Run = Callable[..., Any]
# The instant every call below runs at: reset codes are checked against it.
NOW = ShiftedClock().now()
CODE = "partner-code_123"
NEW_PASSWORD = "N3w-password-2024"


def refused(in_unit_of_work: Run, work: Callable[[UnitOfWork], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        in_unit_of_work(work)
    return caught.value


def start_with_own_code(in_unit_of_work: Run, *identifiers: Identifier) -> str:
    """A server (b2b) starts a reset with its own code; the address written to."""

    async def work(uow: UnitOfWork) -> str:
        call = await merchant_call(uow, NOW)
        return await password_reset.request_reset(call, list(identifiers), CODE)

    email: str = in_unit_of_work(work)
    return email


def completing(password: str, code: str = CODE) -> Callable[[UnitOfWork], Any]:
    async def work(uow: UnitOfWork) -> User:
        call = await merchant_call(uow, NOW, integration="demo-app")
        return await password_reset.complete_reset(call, code, password)

    return work


def test_a_reset_started_with_a_servers_code_sets_the_new_password(
    client: TestClient, in_unit_of_work: Run
) -> None:
    created = enroll(client, "ada")
    by_card = Identifier("printedCardNumber", created["printedCardNumber"])
    assert start_with_own_code(in_unit_of_work, by_card) == "ada@example.com"
    [mail] = [m for m in outbox_messages(client, "email") if "Reset your" in m["subject"]]
    assert f"reset code: {CODE}" in mail["body"]

    # The form's rule refuses a short password; the refusal rolls the code's use back.
    weak = refused(in_unit_of_work, completing("short"))
    assert weak.reason == Reason.FIELD_VALIDATION
    assert weak.detail == "newPassword: Must be at least 8 characters"
    assert weak.members["errorsByField"]["newPassword"][0]["code"] == "too_short"

    user: User = in_unit_of_work(completing(NEW_PASSWORD))
    assert user.username == "ada"

    async def stored_hash(uow: UnitOfWork) -> str | None:
        found = await uow.users.by_id(1000, user.id)
        assert found is not None
        return found.password_hash

    stored = in_unit_of_work(stored_hash)
    assert stored is not None and verify_secret(stored, NEW_PASSWORD)
    used = refused(in_unit_of_work, completing(NEW_PASSWORD))
    assert used.reason == Reason.INVALID_RESET_CODE


def test_a_wrong_code_is_counted_against_the_address_not_the_integration(
    client: TestClient, in_unit_of_work: Run
) -> None:
    async def from_app(uow: UnitOfWork) -> User:
        call = await merchant_call(uow, NOW, integration="demo-app")
        anonymous = dataclasses.replace(
            call, principal=Principal("anonymous", 1000), source="203.0.113.7"
        )
        return await password_reset.complete_reset(anonymous, "guess-guess", NEW_PASSWORD)

    wrong = refused(in_unit_of_work, from_app)
    assert wrong.reason == Reason.INVALID_RESET_CODE
    [counted] = wrong.intents
    assert isinstance(counted, CountFailures) and counted.slow
    # No counter for the whole integration: a stranger could use it up for everyone.
    assert [limit.subject for limit in counted.limits] == [
        "password_reset@203.0.113.7",
        "source:203.0.113.7",
    ]
    # A trusted back end (b2b) is no one address to slow down.
    [from_server] = refused(in_unit_of_work, completing(NEW_PASSWORD, "guess-guess")).intents
    assert isinstance(from_server, CountFailures) and from_server.limits == ()


def test_only_a_server_may_choose_the_code_and_one_identifier_names_the_guest(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enroll(client, "ada")
    ada = Identifier("username", "ada")

    async def as_app(uow: UnitOfWork) -> str:
        call = await merchant_call(uow, NOW, integration="demo-app")
        anonymous = dataclasses.replace(call, principal=Principal("anonymous", 1000))
        return await password_reset.request_reset(anonymous, [ada], CODE)

    chosen = refused(in_unit_of_work, as_app)
    assert (chosen.reason, chosen.detail) == (
        Reason.INVALID_REQUEST,
        "only a b2b caller may choose the resetCode",
    )
    for identifiers, reason in (
        ([], Reason.NO_IDENTIFIER),
        ([ada, Identifier("email", "ada@example.com")], Reason.MULTIPLE_IDENTIFIERS),
        ([Identifier("accountId", 987654321)], Reason.USER_NOT_FOUND),
    ):

        async def start(uow: UnitOfWork, given: list[Identifier] = identifiers) -> str:
            return await password_reset.request_reset(await merchant_call(uow, NOW), given)

        assert refused(in_unit_of_work, start).reason == reason
    assert outbox_messages(client, "email") == []

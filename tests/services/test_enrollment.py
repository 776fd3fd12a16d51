"""Enrollment below HTTP: joining a program, and the refusals that leave nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.identity import Principal
from openpxs.domain.intents import CountFailures
from openpxs.security import verify_secret
from openpxs.services import enrollment, related_guests
from openpxs.services.enrollment import Enrolled
from openpxs.services.form_fields import FieldsSent
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import nothing_changes
from tests.api.guests import PASSWORD, user_fields
from tests.api.pos import LOYALTY
from tests.services.conftest import merchant_call

Run = Callable[..., Any]
STORE = "corp"
FAVORITE = {"style": "typed", "favoriteStore": [{"code": "1001"}]}


def sign_up(run: Run, username: str, email: str | None = None) -> Enrolled:
    async def work(uow: UnitOfWork) -> Enrolled:
        call = await merchant_call(uow, ShiftedClock().now())
        sent = FieldsSent(user_fields(username, email), FAVORITE, ["email"])
        return await enrollment.sign_up(call, 1, STORE, sent, login=True)

    enrolled: Enrolled = run(work)
    return enrolled


async def sign_up_in(uow: UnitOfWork, username: str, email: str) -> Enrolled:
    call = await merchant_call(uow, ShiftedClock().now())
    sent = FieldsSent(user_fields(username, email), None, ["email"])
    return await enrollment.sign_up(call, 1, None, sent, login=True)


def refusal_of(run: Run, work: Callable[[UnitOfWork], Any]) -> DomainError:
    """The refusal ``work`` raises in a unit of work of its own (rolled back)."""

    async def refused(uow: UnitOfWork) -> None:
        await work(uow)

    with pytest.raises(DomainError) as raised:
        run(refused)
    return raised.value


def test_a_sign_up_writes_the_user_and_account_it_reports(
    client: TestClient, in_unit_of_work: Run
) -> None:
    enrolled = sign_up(in_unit_of_work, "ada")

    async def read(uow: UnitOfWork) -> tuple[Any, ...]:
        return (
            await uow.users.of_account(1000, enrolled.account_id),
            await uow.accounts.get(1000, enrolled.account_id),
            await uow.cards.find(1000, enrolled.card_number),
            await uow.accounts.fields_of(1000, enrolled.account_id),
            await uow.users.unique_holder(1000, "email", "ADA@example.com"),
        )

    user, account, card, fields, email_holder = in_unit_of_work(read)
    assert user is not None and user.id == enrolled.user_id and user.username == "ada"
    assert user.password_hash is not None and verify_secret(user.password_hash, PASSWORD)
    assert account.status == AccountStatus.ACTIVE and account.user_id == user.id
    assert card.status == CardStatus.ACTIVE and card.account_id == enrolled.account_id
    assert card.number.startswith("9") and len(card.number) == 16
    assert fields == {"favoriteStore": {"code": "1001"}}
    # The e-mail was asked to be unique: it is claimed, whatever its case.
    assert email_holder == user.id
    assert enrolled.tokens is not None and enrolled.tokens.username == "ada"


def test_a_taken_unique_value_refuses_the_sign_up_and_its_claim(
    client: TestClient, in_unit_of_work: Run
) -> None:
    ada = sign_up(in_unit_of_work, "ada")
    bob = sign_up(in_unit_of_work, "bob")
    with nothing_changes(client):
        taken = refusal_of(in_unit_of_work, lambda uow: sign_up_in(uow, "carl", "ADA@example.com"))
        assert taken.reason == Reason.UNIQUENESS_CONFLICT
        assert list(taken.members["errorsByField"]) == ["setUserFields/email"]

        async def bob_takes_adas_email(uow: UnitOfWork) -> None:
            call = await merchant_call(uow, ShiftedClock().now())
            user = await uow.users.of_account(1000, bob.account_id)
            assert user is not None
            template = enrollment.template_of(call.program, 1)
            # The claim itself refuses, not only the look before it.
            await enrollment.edit_user(
                uow, call.program, template, user, {"email": "ada@example.com"}, ["email"], call.now
            )

        claimed = refusal_of(in_unit_of_work, bob_takes_adas_email)
        assert claimed.reason == Reason.UNIQUENESS_CONFLICT
    assert ada.user_id != bob.user_id


def test_a_physical_card_is_activated_once_and_anonymous_guesses_are_counted(
    client: TestClient, in_unit_of_work: Run
) -> None:
    async def activate(uow: UnitOfWork, style: str = "b2b", code: str | None = None) -> Enrolled:
        call = await merchant_call(uow, ShiftedClock().now())
        call.principal = Principal(style=style, merchant_id=1000)
        sent = FieldsSent(
            {"style": "typed", "firstName": ["Pat"], "lastName": ["Doe"], "email": ["p@x.org"]}
        )
        return await enrollment.activate_card(call, LOYALTY, code, None, sent, login=False)

    with nothing_changes(client):
        wrong = refusal_of(in_unit_of_work, lambda uow: activate(uow, "anonymous", "9999"))
    assert wrong.reason == Reason.CARD_NOT_FOUND
    [counted] = wrong.intents
    assert isinstance(counted, CountFailures)
    # Counted against the card and the integration, as card sign-ins are.
    assert [limit.subject for limit in counted.limits][:1] == [f"card:{LOYALTY}"]
    assert len(counted.limits) == 2

    enrolled = in_unit_of_work(activate)
    assert enrolled.card_number == LOYALTY and enrolled.user_id is not None
    assert enrolled.tokens is None
    with nothing_changes(client):
        again = refusal_of(in_unit_of_work, activate)
    assert again.reason == Reason.CARD_ALREADY_ACTIVE


def test_related_guests_stop_at_the_limit_all_or_nothing(
    client: TestClient, in_unit_of_work: Run
) -> None:
    ada = sign_up(in_unit_of_work, "ada")
    kids = [{"firstName": f"Kid {n}"} for n in range(related_guests.MAX_RELATED_GUESTS - 1)]

    async def add(uow: UnitOfWork, guests: list[dict[str, Any]]) -> list[Any]:
        call = await merchant_call(uow, ShiftedClock().now())
        await related_guests.add_related_guests(call, ada.card_number, guests)
        return await related_guests.related_guests_of(call, ada.account_id)

    assert len(in_unit_of_work(lambda uow: add(uow, kids))) == len(kids)
    over = refusal_of(in_unit_of_work, lambda uow: add(uow, [{"firstName": "A"}] * 2))
    assert over.reason == Reason.FIELD_VALIDATION
    assert over.members["errorsByField"]["relatedGuests"][0]["code"] == "too_many"
    last = in_unit_of_work(lambda uow: add(uow, [{"firstName": "Last", "lastName": "One"}]))
    assert len(last) == related_guests.MAX_RELATED_GUESTS
    assert (last[-1].first_name, last[-1].last_name) == ("Last", "One")

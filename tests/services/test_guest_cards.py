"""A guest's cards below HTTP: attaching, combining and the card-guessing lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.api.guest.errors import ATTACHING, REFUSALS
from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.identity import Principal
from openpxs.domain.transactions import Kind
from openpxs.services import after_refusal, guest_cards
from openpxs.services.books import read_book
from openpxs.services.context import Call
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import audit_clean, nothing_changes
from tests.api.guests import enroll
from tests.api.pos import LOYALTY, activate, add_redeem, ok
from tests.services.conftest import merchant_call

MERCHANT = 1000
POINTS = 2


def loyalty_card_with_points(client: TestClient, quantity: str) -> None:
    ok(activate(client, LOYALTY))
    ok(
        add_redeem(
            client, LOYALTY, add=[{"walletCode": POINTS, "quantity": quantity}], program="LP"
        )
    )


async def as_guest(uow: UnitOfWork, username: str) -> Call:
    """The use cases' view of a call by a signed-in guest."""
    call = await merchant_call(uow, ShiftedClock().now())
    user = await uow.users.by_unique(MERCHANT, "username", username)
    assert user is not None
    call.principal = Principal(style="oauth", merchant_id=MERCHANT, user_id=user.id)
    call.source = "203.0.113.7"
    return call


def test_attach_and_combine_moves_every_lot_into_the_home_account(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    home_card = enroll(client, "ada")["printedCardNumber"]
    loyalty_card_with_points(client, "40")

    async def books_before(uow: UnitOfWork) -> tuple[int, int, dict[int, int]]:
        call = await merchant_call(uow, ShiftedClock().now())
        home = await uow.cards.find(MERCHANT, home_card)
        source = await uow.cards.find(MERCHANT, LOYALTY)
        assert home is not None and home.account_id is not None
        assert source is not None and source.account_id is not None
        book = await read_book(uow, call.program, source.account_id)
        return home.account_id, source.account_id, book.balances()

    home_id, source_id, source_before = in_unit_of_work(books_before)
    assert source_before[POINTS] > 0

    async def attach_and_combine(uow: UnitOfWork) -> str:
        call = await as_guest(uow, "ada")
        return await guest_cards.attach_and_combine(call, None, LOYALTY, "1234")

    assert in_unit_of_work(attach_and_combine) == home_card

    async def books_after(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, ShiftedClock().now())
        home = await read_book(uow, call.program, home_id)
        source = await read_book(uow, call.program, source_id)
        assert home.balances()[POINTS] == source_before[POINTS]
        assert set(source.balances().values()) == {0}
        accounts = await uow.accounts.get_many(MERCHANT, [home_id, source_id])
        assert accounts[source_id].status == AccountStatus.CLOSED
        moved = await uow.cards.find(MERCHANT, LOYALTY)
        assert moved is not None
        assert (moved.account_id, moved.status) == (home_id, CardStatus.ACTIVE)
        kinds = [
            e.kind
            for e in await uow.history.entries(
                MERCHANT, home_id, since=None, before=None, limit=5, only_balance_affecting=True
            )
        ]
        assert kinds[0] == Kind.COMBINE_CARDS

    in_unit_of_work(books_after)
    audit_clean(client)

    # A retry finds the card in the account already: nothing moves again. The account's
    # primary card is now its oldest active one, the card that was folded in.
    with nothing_changes(client):
        assert in_unit_of_work(attach_and_combine) == LOYALTY


def test_guessing_registration_codes_locks_attaching_with_the_reply_clients_know(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    enroll(client, "ada")
    ok(activate(client, LOYALTY))

    async def attach(uow: UnitOfWork, code: str) -> None:
        call = await as_guest(uow, "ada")
        user = await uow.users.by_id(MERCHANT, call.principal.user_id or 0)
        assert user is not None
        await guest_cards.attach_card(
            uow,
            call.program,
            call.online_stamp(),
            user,
            LOYALTY,
            code,
            for_guest=True,
            source=call.guesser,
        )

    def refused(code: str) -> DomainError:
        """The refusal of one attach, its intents carried out as the dispatcher does."""
        with pytest.raises(DomainError) as caught:
            in_unit_of_work(lambda uow: attach(uow, code))
        in_unit_of_work(lambda uow: after_refusal.carry_out(uow, caught.value.intents))
        return caught.value

    async def guesses_allowed(uow: UnitOfWork) -> int:
        call = await merchant_call(uow, ShiftedClock().now())
        return call.program.guest.security.max_card_guesses

    for _ in range(in_unit_of_work(guesses_allowed)):
        wrong = refused("0000")
        assert wrong.reason == Reason.INVALID_REGISTRATION_CODE
        assert REFUSALS.failure(wrong).message == "Invalid registration code"

    # Locked: even the right code is refused now, as the same wire code that says why.
    locked = refused("1234")
    assert locked.reason == Reason.TOO_MANY_ATTEMPTS
    assert not locked.intents  # a locked card's refusal counts nothing more
    reply = ATTACHING.failure(locked)
    assert reply.code == "guest.invalid_registration_code"
    assert reply.message == "Too many failed attempts; try again in 30 seconds"
    # Elsewhere in the service the same reason is a card sign-in's lock.
    assert REFUSALS.failure(locked).code == "system.too_many_attempts"


def test_the_last_active_card_of_an_account_cannot_be_disabled(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    ok(activate(client, LOYALTY))

    async def disable(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, ShiftedClock().now())
        await guest_cards.change_card_status(
            uow, call.program, call.online_stamp(), LOYALTY, " disabled "
        )

    with nothing_changes(client), pytest.raises(DomainError) as refused:
        in_unit_of_work(disable)
    assert refused.value.reason == Reason.INVALID_STATUS_CHANGE
    assert refused.value.detail == "the account's last active card cannot be disabled"


def test_a_guest_cannot_tell_another_guests_card_from_none(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    taken = enroll(client, "grace")["printedCardNumber"]
    enroll(client, "ada")

    async def can_combine(uow: UnitOfWork, for_guest: bool) -> bool:
        call = await as_guest(uow, "ada")
        user = await uow.users.by_id(MERCHANT, call.principal.user_id or 0)
        assert user is not None
        return await guest_cards.can_combine(
            uow, call.program, user, taken, call.now, for_guest=for_guest, source="203.0.113.7"
        )

    with pytest.raises(DomainError) as refused:
        in_unit_of_work(lambda uow: can_combine(uow, True))
    assert refused.value.reason == Reason.CARD_NOT_FOUND
    # The merchant may know: it is simply not combinable.
    assert in_unit_of_work(lambda uow: can_combine(uow, False)) is False

"""Referrals and referral codes below HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.services import referrals
from openpxs.services.referrals import CODE_ALPHABET, CODE_LENGTH, ReferralInput
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import nothing_changes
from tests.api.guests import enroll
from tests.services.conftest import merchant_call

MERCHANT = 1000


def account_of(in_unit_of_work: Callable[..., Any], number: str) -> int:
    async def work(uow: UnitOfWork) -> int:
        card = await uow.cards.find(MERCHANT, number)
        assert card is not None and card.account_id is not None
        return card.account_id

    account_id: int = in_unit_of_work(work)
    return account_id


def test_a_referral_code_is_made_once_and_stops_working_with_its_account(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    account_id = account_of(in_unit_of_work, enroll(client, "ada")["printedCardNumber"])

    async def code(uow: UnitOfWork) -> str:
        call = await merchant_call(uow, ShiftedClock().now())
        return await referrals.code_for_account(call, account_id)

    made = in_unit_of_work(code)
    assert len(made) == CODE_LENGTH and set(made) <= set(CODE_ALPHABET)
    with nothing_changes(client):
        assert in_unit_of_work(code) == made

    async def validate(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, ShiftedClock().now())
        await referrals.validate_code(call, f"  {made.lower()} ")

    in_unit_of_work(validate)  # as a guest may type it

    async def close(uow: UnitOfWork) -> None:
        await uow.accounts.close(MERCHANT, [account_id])

    in_unit_of_work(close)
    with pytest.raises(DomainError) as refused:
        in_unit_of_work(validate)
    assert refused.value.reason == Reason.INVALID_REFERRAL_CODE


def test_referrals_are_kept_once_per_address_and_never_of_the_member(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    account_id = account_of(
        in_unit_of_work, enroll(client, "ada", "ada@example.com")["printedCardNumber"]
    )

    def add(*emails: str | None) -> Any:
        async def work(uow: UnitOfWork) -> list[str]:
            call = await merchant_call(uow, ShiftedClock().now())
            inputs = [ReferralInput(e, " Bea ", None) for e in emails]
            return [r.email for r in await referrals.add_referrals(call, account_id, inputs)]

        return in_unit_of_work(work)

    assert add("Bea@Example.com", "bea@example.com ", "cy@example.com") == [
        "bea@example.com",
        "cy@example.com",
    ]
    # One bad entry refuses the whole list, saying which.
    for emails, detail in [
        (("dee@example.com", "ADA@example.com"), "referrals[1] refers the member"),
        (("dee@example.com", None), "referrals[1].email is not valid"),
        ((), "referrals is empty"),
    ]:
        with nothing_changes(client), pytest.raises(DomainError) as refused:
            add(*emails)
        assert (refused.value.reason, refused.value.detail) == (Reason.INVALID_REFERRAL, detail)
    # Sending the list again changes nothing; a new address is added after the others.
    assert add("cy@example.com", "dee@example.com") == [
        "bea@example.com",
        "cy@example.com",
        "dee@example.com",
    ]

    async def names(uow: UnitOfWork) -> list[tuple[str | None, str]]:
        return [
            (r.first_name, r.status)
            for r in await uow.referrals.of_accounts(MERCHANT, [account_id])
        ]

    assert in_unit_of_work(names) == [("Bea", "pending")] * 3

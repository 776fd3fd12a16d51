"""Applying a visit code below HTTP: one credit on the books, then the code is spent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.services import visit_codes
from openpxs.services.books import read_book
from openpxs.store.tables import visit_codes as visit_code_rows
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import nothing_changes
from tests.api.guests import enroll
from tests.api.pos import insert_rows
from tests.services.conftest import merchant_call

MERCHANT = 1000
VISITS = 4


def test_a_visit_code_credits_its_wallet_once(
    client: TestClient, in_unit_of_work: Callable[..., Any], clock: ShiftedClock
) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    insert_rows(
        client,
        visit_code_rows,
        [
            {
                "merchant_id": MERCHANT,
                "code": "VISIT-1",
                "store_code": "1001",
                "wallet_code": VISITS,
                "units": 10_000,
                "expires_at": clock.now() + timedelta(days=1),
            }
        ],
    )

    async def apply(uow: UnitOfWork) -> int:
        call = await merchant_call(uow, clock.now())
        view = await visit_codes.apply_code(
            uow, call.program, call.online_stamp(), card, " VISIT-1 "
        )
        return view.account_id

    account_id = in_unit_of_work(apply)

    async def books(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, clock.now())
        book = await read_book(uow, call.program, account_id)
        assert book.balances()[VISITS] == 10_000
        used = await uow.visit_codes.find(MERCHANT, "VISIT-1")
        assert used is not None and used.used_at is not None
        entries = await uow.history.entries(
            MERCHANT, account_id, since=None, before=None, limit=1, only_balance_affecting=True
        )
        # The visit counts at the code's store, not wherever the app was.
        assert (entries[0].kind, entries[0].store_code) == ("visitCode", "1001")

    in_unit_of_work(books)
    with nothing_changes(client), pytest.raises(DomainError) as refused:
        in_unit_of_work(apply)
    assert refused.value.reason == Reason.VISIT_CODE_ALREADY_USED

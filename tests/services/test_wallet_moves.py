"""Selling, spending and undoing value below HTTP: the use cases over a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.domain.cards import CardRef, CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import InsufficientBalance
from openpxs.domain.moves import Move
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import activation, undo, wallet_moves
from openpxs.services.books import read_book
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import audit_clean
from tests.api.pos import GIFT
from tests.services.conftest import merchant_call

SV = 1  # the stored-value wallet; storage units are ten-thousandths
UNITS = 10_000


async def pos_stamp(uow: UnitOfWork, pos_id: str) -> CallStamp:
    call = await merchant_call(uow, ShiftedClock().now())
    return CallStamp(1000, "1001", "1", "0", pos_id, None, call.integration.id, call.now)


def test_a_sale_then_a_redemption_and_its_reversal(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    async def sell_and_spend(uow: UnitOfWork) -> int:
        program = await uow.programs.load(1000)
        sold = await activation.activate(
            uow, program, await pos_stamp(uow, "S-1"), CardRef(GIFT), "SV", [Move(SV, "25.00")]
        )
        spent = await wallet_moves.add_redeem(
            uow, program, await pos_stamp(uow, "R-1"), CardRef(GIFT), "SV", [], [Move(SV, "10")]
        )
        assert sold.view is not None and spent.view is not None
        assert spent.view.sv_balance == 15 and spent.transaction_id is not None
        return spent.transaction_id

    redemption = in_unit_of_work(sell_and_spend)

    async def reverse(uow: UnitOfWork) -> tuple[int, list[int]]:
        program = await uow.programs.load(1000)
        await undo.undo_by_id(uow, program, await pos_stamp(uow, "U-1"), redemption, Kind.REVERSE)
        card = await uow.cards.find(1000, GIFT)
        assert card is not None and card.status == CardStatus.ACTIVE and card.account_id
        book = await read_book(uow, program, card.account_id)
        ledger = book.wallet(SV)
        return ledger.balance, [lot.remaining for lot in ledger.lots]

    balance, lots = in_unit_of_work(reverse)
    # The $10 went back into the lot it came from: one lot of $25 again.
    assert (balance, lots) == (25 * UNITS, [25 * UNITS])
    audit_clean(client)


def test_a_refused_redemption_leaves_the_unit_of_work_unwritten(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    async def sell(uow: UnitOfWork) -> None:
        program = await uow.programs.load(1000)
        await activation.activate(
            uow, program, await pos_stamp(uow, "S-1"), CardRef(GIFT), "SV", [Move(SV, "5")]
        )

    in_unit_of_work(sell)

    async def overspend(uow: UnitOfWork) -> None:
        program = await uow.programs.load(1000)
        # Adds first, then redemptions: $5 + $1 cannot pay $7, so the add is undone too.
        await wallet_moves.add_redeem(
            uow,
            program,
            await pos_stamp(uow, "R-2"),
            CardRef(GIFT),
            "SV",
            [Move(SV, "1")],
            [Move(SV, "7")],
        )

    with pytest.raises(InsufficientBalance):
        in_unit_of_work(overspend)

    async def balance(uow: UnitOfWork) -> int:
        card = await uow.cards.find(1000, GIFT)
        assert card is not None and card.account_id is not None
        return (await uow.ledger.balances(1000, card.account_id))[SV]

    assert in_unit_of_work(balance) == 5 * UNITS
    audit_clean(client)

"""addRedeem and sales without locks (store/direct.py): a call that read its card and
book writes nothing if either changed before its write, and is run again.

The steps of the use case are taken one by one here, so that another call can write
between the read and the write; the concurrent races of tests/pg/test_races.py run the
whole calls against each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from openpxs.domain.cards import CardRef
from openpxs.domain.moves import Move, apply_moves, check_moves
from openpxs.domain.transactions import Kind
from openpxs.services import activation, wallet_moves
from openpxs.services.books import all_wallets, read_book
from openpxs.store.repositories.ledger import new_book
from openpxs.store.tables import accounts, cards, idempotency_keys, journal, transactions
from openpxs.store.uow import StaleRead, unit_of_work
from tests.api.pos import GIFT, add_redeem_body, call, card, header, ok, sell_body, sv
from tests.services.test_wallet_moves import pos_stamp

pytestmark = pytest.mark.postgresql
SV = 1


def _run(client: TestClient, work: Callable[[Any], Any]) -> Any:
    assert client.portal is not None
    return client.portal.call(work, client.app.state.runtime.engine)  # type: ignore[attr-defined]


async def _holding_key(uow: Any, pos_id: str) -> tuple[Any, Any]:
    """The call's stamp and program, its retry key held (claimed by its write)."""
    stamp = await pos_stamp(uow, pos_id)
    uow.hold_retry_keys(1000, "h", stamp.now, defer=True)
    assert uow.retry is not None
    await uow.retry.claim(f"pos:{pos_id}")
    return stamp, await uow.programs.load(1000)


async def _read_then(engine: Any, between: Callable[[], Any]) -> None:
    """Read the card and its book without locks, run ``between``, then write a $1
    redemption with its retry key: the write must find the book changed."""
    async with unit_of_work(engine, optimistic=True) as uow:
        stamp, program = await _holding_key(uow, "stale-1")
        card = await uow.lock_card_claiming(1000, GIFT)
        assert card is not None and card.account_id is not None
        book = await read_book(uow, program, card.account_id)
        await between()
        redeemed = check_moves(program, card.template_code, "SV", [Move(SV, "1.00")], stamp.now)
        apply_moves(book, program, [], redeemed, stamp.now)
        await uow.record_and_write(
            stamp, Kind.ADD_REDEEM, book, card_number=card.number, contents_hash=None
        )
        await uow.retry.record(b'{"result":"authorizedSuccess"}', None)


async def _count(engine: Any, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(select(func.count()).select_from(table).where(*where))
        return int(found.scalar_one())


def test_a_book_written_after_the_read_fails_the_write_and_leaves_nothing(
    client: TestClient,
) -> None:
    ok(call(client, "activateAdd", sell_body(GIFT, "25.00")))

    async def scenario(engine: Any) -> None:
        async def another_redemption() -> None:
            async with unit_of_work(engine) as uow:
                program = await uow.programs.load(1000)
                stamp = await pos_stamp(uow, "other-1")
                await wallet_moves.add_redeem(
                    uow, program, stamp, CardRef(GIFT), "SV", [], [Move(SV, "2.00")]
                )

        postings = await _count(engine, journal)
        with pytest.raises(StaleRead) as stale:
            await _read_then(engine, another_redemption)
        assert stale.value.lock is False  # read again, without locks
        # Only the other redemption was written; the stale call claimed no retry key.
        assert await _count(engine, journal) == postings + 1
        assert (
            await _count(engine, idempotency_keys, idempotency_keys.c.scope == "pos:stale-1") == 0
        )

    _run(client, scenario)
    balance = ok(call(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(GIFT)}))
    assert balance["svCurrentBalance"] == "23.00"


def test_a_card_disabled_after_the_read_fails_the_write(client: TestClient) -> None:
    ok(call(client, "activateAdd", sell_body(GIFT, "25.00")))

    async def scenario(engine: Any) -> None:
        async def disable_the_card() -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    update(cards)
                    .where(cards.c.merchant_id == 1000, cards.c.printed_card_number == GIFT)
                    .values(status="disabled")
                )

        postings = await _count(engine, journal)
        with pytest.raises(StaleRead):
            await _read_then(engine, disable_the_card)
        assert await _count(engine, journal) == postings

    _run(client, scenario)


def test_an_unchanged_book_is_written_in_two_statements(client: TestClient) -> None:
    ok(call(client, "activateAdd", sell_body(GIFT, "25.00")))

    async def scenario(engine: Any) -> None:
        async def nothing() -> None:
            return None

        await _read_then(engine, nothing)
        async with unit_of_work(engine) as uow:
            program = await uow.programs.load(1000)
            card = await uow.cards.find(1000, GIFT)
            assert card is not None and card.account_id is not None
            book = await read_book(uow, program, card.account_id)
            assert book.wallet(SV).balance == 24 * 10_000
        reply = await _count(engine, idempotency_keys, idempotency_keys.c.scope == "pos:stale-1")
        assert reply == 1

    _run(client, scenario)


def test_a_retry_of_a_call_that_spent_everything_replays_it(client: TestClient) -> None:
    """The retry reads a book the first call emptied: it must replay the first reply,
    not refuse for lack of value, as the locking path (whose claim comes first) does."""
    ok(call(client, "activateAdd", sell_body(GIFT, "25.00")))
    body = add_redeem_body(GIFT, redeem=sv("25.00"), pos_id="spend-all")
    first = ok(call(client, "addRedeem", body))
    again = ok(call(client, "addRedeem", body))
    assert again == first
    changed = add_redeem_body(GIFT, redeem=sv("1.00"), pos_id="spend-all")
    refused = call(client, "addRedeem", changed)
    assert refused["errorCode"] == "transaction.duplicate_transaction", refused


def test_a_card_sold_after_the_read_fails_the_sale_and_leaves_nothing(client: TestClient) -> None:
    """Another terminal sells the card between this sale's read and its write: the
    write finds the card active and writes nothing, not the account it read an id
    for, nor a transaction, nor its retry key; run again, the call is refused."""

    async def scenario(engine: Any) -> None:
        async def sell(uow: Any, pos_id: str) -> None:
            program = await uow.programs.load(1000)
            stamp = await pos_stamp(uow, pos_id)
            await activation.activate(
                uow, program, stamp, CardRef(GIFT), "SV", [Move(SV, "25.00")], Kind.ACTIVATE_ADD
            )

        async def another_sale() -> None:
            async with unit_of_work(engine) as uow:
                await sell(uow, "other-sale")

        with pytest.raises(StaleRead) as stale:
            async with unit_of_work(engine, optimistic=True) as uow:
                stamp, program = await _holding_key(uow, "late-sale")
                card = await uow.lock_card_claiming(1000, GIFT, selling=True)
                assert card is not None and card.status == "inactive"
                new_account = uow.new_account_id
                assert new_account is not None
                await another_sale()
                # The rest of activation.activate: the new account's book, loaded.
                book = new_book(1000, new_account, all_wallets(program))
                added = check_moves(
                    program, card.template_code, "SV", [Move(SV, "5.00")], stamp.now
                )
                apply_moves(book, program, added, [], stamp.now)
                await uow.record_and_write(
                    stamp,
                    Kind.ACTIVATE_ADD,
                    book,
                    card_number=card.number,
                    contents_hash=None,
                    activating=card,
                )
                await uow.retry.record(b'{"result":"authorizedSuccess"}', None)
        assert stale.value.lock is False  # read again, without locks
        assert await _count(engine, accounts, accounts.c.id == new_account) == 0
        assert (
            await _count(engine, transactions, transactions.c.pos_transaction_id == "late-sale")
            == 0
        )
        assert (
            await _count(engine, idempotency_keys, idempotency_keys.c.scope == "pos:late-sale") == 0
        )

    _run(client, scenario)
    balance = ok(call(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(GIFT)}))
    assert balance["svCurrentBalance"] == "25.00"
    again = call(client, "activateAdd", sell_body(GIFT, "5.00", pos_id="late-sale"))
    assert again["errorCode"] == "transaction.card_already_active", again


def test_a_sold_card_is_active_on_its_own_new_account(client: TestClient) -> None:
    sold = ok(call(client, "activateAdd", sell_body(GIFT, "25.00", pos_id="sale-1")))

    async def scenario(engine: Any) -> None:
        async with unit_of_work(engine) as uow:
            found = await uow.cards.find(1000, GIFT)
            assert found is not None and found.status == "active"
            assert found.account_status == "active" and found.account_id is not None
            changes = await uow.cards.changes_of(1000, sold["pxTransactionId"])
            assert [(c.account_id, c.from_status, c.to_status) for c in changes] == [
                (found.account_id, "inactive", "active")
            ]

    _run(client, scenario)
    voided = ok(call(client, "voidActivateAdd", sell_body(GIFT, "25.00", pos_id="sale-1")))
    assert voided["result"] == "authorizedSuccess", voided
    inquiry = call(client, "balanceInquiry", {"headerInfo": header(), "cardInfo": card(GIFT)})
    assert inquiry["errorCode"] == "transaction.card_not_active", inquiry

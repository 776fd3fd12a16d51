"""What a posted check reads of the account it locked, in one statement
(store/repositories/postings.py): the same as the three reads it stands for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from openpxs.services.books import all_wallets
from openpxs.services.standing import name_of
from openpxs.store.uow import UnitOfWork
from tests.api.checks import a_check, item, post_check
from tests.api.guests import enroll
from tests.api.pos import (
    GIFT,
    LOYALTY,
    LOYALTY2,
    activate,
    add_redeem,
    call,
    header,
    ok,
    sell,
    sv,
)
from tests.api.test_group_challenges import social

MERCHANT = 1000


def _book(book: Any) -> dict[int, tuple[bool, int, list[tuple[Any, ...]]]]:
    """A book as comparable values: each wallet's balance and its lots in order."""
    return {
        code: (
            code in book.stored_balances,
            ledger.balance,
            [(lot.id, lot.remaining, lot.expires_at, lot.expires_on) for lot in ledger.lots],
        )
        for code, ledger in sorted(book.ledgers.items())
    }


def _both_ways(
    client: TestClient, in_unit_of_work: Callable[..., Any], number: str
) -> tuple[Any, Any]:
    """The one read after the lock, and the reads it stands for, of the card's account."""

    async def work(uow: UnitOfWork) -> tuple[Any, Any]:
        card, facts = await uow.cards.find_locking_account(MERCHANT, number)
        assert card is not None and card.account_id is not None and facts is not None
        wallets = all_wallets(await uow.programs.load(MERCHANT))
        user = facts.user_id
        locked = await uow.postings.locked_account(MERCHANT, card.account_id, user, wallets)
        books = await uow.ledger.open_books(MERCHANT, [card.account_id], wallets)
        _, visited = await uow.standing.tier_and_visited(MERCHANT, card.account_id)
        entries = await uow.challenges.entries(MERCHANT, card.account_id)
        guest = await uow.users.of_account(MERCHANT, card.account_id)
        groups = (await uow.social_groups.groups_of(MERCHANT, [user]))[user] if user else []
        return (
            (
                _book(locked.book),
                locked.visited,
                locked.entries,
                name_of(locked.first_name, locked.last_name),
                sorted(locked.groups),
            ),
            (
                _book(books[card.account_id]),
                visited,
                entries,
                guest and name_of(guest.fields.get("firstName"), guest.fields.get("lastName")),
                sorted(groups),
            ),
        )

    found: tuple[Any, Any] = in_unit_of_work(work)
    return found


def test_an_account_with_value_checks_and_entries_reads_as_its_reads(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    ok(activate(client, LOYALTY))
    reply = post_check(client, LOYALTY, a_check("L1", item("BURGER", "25.00", "FOOD")))
    assert reply["result"] == "success", reply
    post_check(client, LOYALTY, a_check("L2", item("BURGER", "14.00", "FOOD")))

    async def opt_in(uow: UnitOfWork) -> None:
        card = await uow.cards.find(MERCHANT, LOYALTY)
        assert card is not None and card.account_id is not None
        for code, joined in (("VISIT3", True), ("FEAST", False)):
            await uow.challenges.set_entry(
                MERCHANT,
                code,
                card.account_id,
                opted_in=joined,
                charity_code="KIDS" if joined else None,
                now=datetime.now().astimezone(),
            )

    in_unit_of_work(opt_in)
    one, other = _both_ways(client, in_unit_of_work, LOYALTY)
    assert one == other
    book, visited, entries, name, groups = one
    assert visited is True and name is None and groups == []
    assert set(entries) == {"VISIT3", "FEAST"} and entries["VISIT3"].opted_in
    assert any(lots for _, _, lots in book.values()), book


def test_a_gift_card_never_at_a_check_reads_as_its_reads(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    ok(sell(client, GIFT, "30.00"))
    ok(add_redeem(client, GIFT, add=sv("5.00")))
    ok(add_redeem(client, GIFT, redeem=sv("12.00")))
    one, other = _both_ways(client, in_unit_of_work, GIFT)
    assert one == other
    book, visited, entries, name, groups = one
    assert visited is False and entries == {} and name is None and groups == []
    assert sum(len(lots) for _, _, lots in book.values()) >= 1


def test_an_account_whose_only_check_was_reversed_has_not_visited(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    ok(activate(client, LOYALTY2))
    posted = post_check(client, LOYALTY2, a_check("R1", item("BURGER", "18.00", "FOOD")))
    assert posted["result"] == "success", posted
    assert _both_ways(client, in_unit_of_work, LOYALTY2)[0][1] is True
    ok(
        call(
            client,
            "reverse",
            {"headerInfo": header(programId="PX"), "pxTransactionId": posted["pxTransactionId"]},
        )
    )
    one, other = _both_ways(client, in_unit_of_work, LOYALTY2)
    assert one == other
    assert one[1] is False


def test_a_registered_guest_in_two_groups_reads_as_its_reads(
    client: TestClient, in_unit_of_work: Callable[..., Any]
) -> None:
    cards = {who: enroll(client, who)["printedCardNumber"] for who in ("ada", "bob")}
    first = social(client, "createGroup", username="ada", name="Lunch")["group"]["groupCode"]
    second = social(client, "createGroup", username="bob", name="Dinner")["group"]["groupCode"]
    shared = social(client, "createInvitationMessage", username="bob", groupCode=second)
    social(client, "acceptInvitation", username="ada", invitationCode=shared["invitationCode"])
    post_check(client, cards["ada"], a_check("G1", item("BURGER", "12.00", "FOOD")))
    one, other = _both_ways(client, in_unit_of_work, cards["ada"])
    assert one == other
    _, visited, _, name, groups = one
    assert visited is True and name == "Ada Lovelace"
    assert groups == sorted([first, second])
    bob = _both_ways(client, in_unit_of_work, cards["bob"])
    assert bob[0] == bob[1] and bob[0][4] == [second]

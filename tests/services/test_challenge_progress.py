"""Challenge progress from posted checks, below the Challenge Service: what each posting
adds, the completion and its reward, and what voids and reversals take back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.money import UNITS_PER_ONE
from openpxs.store.repositories.challenges import Contribution
from openpxs.store.uow import UnitOfWork
from tests.api.checks import a_check, audit_clean, item, post_check, wallets
from tests.api.guests import enroll
from tests.api.pos import GIFT2, LOYALTY, activate, call, header, ok
from tests.conftest import reset

MERCHANT = 1000
# A Wednesday: the demo's VISIT3 week is Monday 8 March 2027 to Sunday 14 March.
WEDNESDAY = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
WEEK = ("VISIT3", "20270308")
REWARD_WALLET = 3


def at(clock: ShiftedClock, moment: datetime) -> None:
    clock.offset = moment - datetime.now(UTC)


def account_of(in_unit_of_work: Callable[..., Any], number: str = LOYALTY) -> int:
    async def work(uow: UnitOfWork) -> int:
        card = await uow.cards.find(MERCHANT, number)
        assert card is not None and card.account_id is not None
        return card.account_id

    found: int = in_unit_of_work(work)
    return found


def opt_in(in_unit_of_work: Callable[..., Any], account_id: int, code: str, now: datetime) -> None:
    async def work(uow: UnitOfWork) -> None:
        await uow.challenges.set_entry(
            MERCHANT, code, account_id, opted_in=True, charity_code=None, now=now
        )

    in_unit_of_work(work)


def visits(standing: list[tuple[str, int]]) -> int:
    """The visits an occurrence's standing progress counts (summed by store)."""
    return sum(units for _, units in standing) // UNITS_PER_ONE


def state(in_unit_of_work: Callable[..., Any], account_id: int) -> tuple[Any, Any]:
    async def work(uow: UnitOfWork) -> tuple[Any, Any]:
        progress = await uow.challenges.standing_progress(MERCHANT, account_id)
        completions = await uow.challenges.completions(MERCHANT, account_id)
        return progress, completions

    found: tuple[Any, Any] = in_unit_of_work(work)
    return found


def visit(client: TestClient, number: str, price: str = "12.00") -> dict[str, Any]:
    reply = post_check(client, LOYALTY, a_check(number, item("BURGER", price, "FOOD")))
    assert reply["result"] == "success", reply
    return reply


def reverse(client: TestClient, txn: int) -> dict[str, Any]:
    body = {"headerInfo": header(programId="PX"), "pxTransactionId": txn}
    reply: dict[str, Any] = call(client, "reverse", body)
    return reply


@pytest.fixture
def guest(client: TestClient, clock: ShiftedClock, in_unit_of_work: Callable[..., Any]) -> int:
    at(clock, WEDNESDAY)
    ok(activate(client))
    account_id = account_of(in_unit_of_work)
    opt_in(in_unit_of_work, account_id, "VISIT3", clock.now())
    return account_id


def test_the_third_visit_completes_the_week_and_pays_the_reward_once(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    visit(client, "C1")
    second = visit(client, "C2")
    assert wallets(second)[REWARD_WALLET] == "0"
    third = visit(client, "C3")
    # The reward is in the balances the check's reply shows.
    assert wallets(third)[REWARD_WALLET] == "1"
    fourth = visit(client, "C4")
    assert wallets(fourth)[REWARD_WALLET] == "1"
    progress, completions = state(in_unit_of_work, guest)
    assert visits(progress[WEEK]) == 4
    assert list(completions) == [WEEK]
    assert completions[WEEK].reward_transaction_id is not None
    assert completions[WEEK].badge_code == "REGULAR"
    audit_clean(client)


def test_a_check_under_the_minimum_or_before_opting_in_does_not_count(
    client: TestClient, clock: ShiftedClock, in_unit_of_work: Callable[..., Any]
) -> None:
    at(clock, WEDNESDAY)
    ok(activate(client))
    account_id = account_of(in_unit_of_work)
    visit(client, "EARLY")  # before opting in: not counted
    opt_in(in_unit_of_work, account_id, "VISIT3", clock.now())
    visit(client, "SMALL", price="4.00")  # under the $5.00 minimum
    progress, completions = state(in_unit_of_work, account_id)
    assert WEEK not in progress and not completions


def test_reversing_a_check_below_the_goal_takes_the_completion_and_its_reward_back(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    visit(client, "C1")
    visit(client, "C2")
    third = visit(client, "C3")
    undone = ok(reverse(client, third["pxTransactionId"]))
    balances = {b["walletCode"]: b["balance"] for b in undone["walletBalances"]}
    assert balances[REWARD_WALLET] == "0"
    progress, completions = state(in_unit_of_work, guest)
    assert visits(progress[WEEK]) == 2 and not completions
    # The reward's transaction is reversed in the journal, not deleted.
    audit_clean(client)
    # Completing again pays again, once.
    again = visit(client, "C5")
    assert wallets(again)[REWARD_WALLET] == "1"
    audit_clean(client)


def test_reversing_a_check_above_the_goal_keeps_the_completion(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    first = visit(client, "C1")
    for number in ("C2", "C3", "C4"):
        visit(client, number)
    undone = ok(reverse(client, first["pxTransactionId"]))
    balances = {b["walletCode"]: b["balance"] for b in undone["walletBalances"]}
    assert balances[REWARD_WALLET] == "1"
    _, completions = state(in_unit_of_work, guest)
    assert list(completions) == [WEEK]


def test_a_spent_reward_cannot_be_taken_back_so_the_reversal_is_refused(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    from tests.api.checks import check_call

    visit(client, "C1")
    visit(client, "C2")
    third = visit(client, "C3")
    spent = check_call(
        client,
        "postAndAccruePointsWithRedeem",
        {
            "cardInfo": {"printedCardNumber": LOYALTY},
            "check": a_check("C4", item("STEAK", "8.00", "FOOD")),
            "redeemWalletContents": [{"walletCode": REWARD_WALLET, "quantity": "1"}],
        },
    )
    assert spent["result"] == "success", spent
    refused = reverse(client, third["pxTransactionId"])
    assert refused["errorCode"] == "transaction.insufficient_balance", refused
    _, completions = state(in_unit_of_work, guest)
    assert list(completions) == [WEEK]
    audit_clean(client)


def test_a_week_later_progress_starts_again(
    client: TestClient, guest: int, clock: ShiftedClock, in_unit_of_work: Callable[..., Any]
) -> None:
    visit(client, "C1")
    visit(client, "C2")
    at(clock, WEDNESDAY + timedelta(days=7))
    visit(client, "C3")
    progress, completions = state(in_unit_of_work, guest)
    assert visits(progress[WEEK]) == 2
    assert visits(progress[("VISIT3", "20270315")]) == 1
    assert not completions


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=5)), min_size=1, max_size=8
    )
)
def test_any_posts_and_reversals_complete_as_the_surviving_checks_alone_would(
    client: TestClient,
    clock: ShiftedClock,
    in_unit_of_work: Callable[..., Any],
    steps: list[tuple[bool, int]],
) -> None:
    """Each step posts a check, or reverses one posted earlier (by index, if it still
    stands): the week is completed, and the reward held, exactly when three checks
    survive."""
    reset(client)
    at(clock, WEDNESDAY)
    ok(activate(client))
    account_id = account_of(in_unit_of_work)
    opt_in(in_unit_of_work, account_id, "VISIT3", clock.now())
    standing: list[int] = []
    posted = 0
    for posting, pick in steps:
        if posting or not standing:
            posted += 1
            standing.append(visit(client, f"P{posted}")["pxTransactionId"])
            continue
        target = standing.pop(pick % len(standing))
        # The reward is never spent here, so every reversal goes through.
        ok(reverse(client, target))
    _, completions = state(in_unit_of_work, account_id)
    assert (WEEK in completions) == (len(standing) >= 3)
    balance = wallets(visit_balance(client))[REWARD_WALLET]
    assert Decimal(balance) == (1 if len(standing) >= 3 else 0)
    audit_clean(client)


def visit_balance(client: TestClient) -> dict[str, Any]:
    from tests.api.pos import balance

    return balance(client, LOYALTY)


def test_added_progress_comes_back_with_the_occurrences_standing_sums(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    """A posted check's own progress row and its occurrence's standing sums by store,
    as one step (one statement on PostgreSQL): the new row counted once, the rows of a
    group, of another occurrence and those taken back not at all; and what
    ``standing_progress`` reads afterwards is the same."""
    earlier = [
        (WEEK, "1001", 1, None, None),
        (WEEK, "1002", 2, None, None),
        (WEEK, "1001", 4, 77, None),  # a group's row
        (WEEK, "1002", 8, None, 990001),  # taken back below
        (("VISIT3", "20270301"), "1002", 16, None, None),
        (("FEAST", "20270308"), "1002", 32, None, None),
    ]

    async def work(uow: UnitOfWork) -> tuple[Any, Any]:
        for ref, store, units, group, txn in earlier:
            await uow.challenges.record_progress(
                MERCHANT, ref, guest, Contribution(txn, store, units, WEDNESDAY), group_id=group
            )
        await uow.challenges.take_back(MERCHANT, 990001, WEDNESDAY)
        added = await uow.challenges.add_progress(
            MERCHANT, WEEK, guest, Contribution(None, "1002", 64, WEDNESDAY)
        )
        after = await uow.challenges.standing_progress(MERCHANT, guest, [WEEK])
        return added, after

    added, after = in_unit_of_work(work)
    assert added == [("1001", 1), ("1002", 66)]
    assert all(type(units) is int for _, units in added)
    assert after == {WEEK: added}


def test_a_cards_lock_reads_what_the_audiences_look_at_on_its_account(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    """The facts the lock of a posted check's card reads are those the challenges would
    read of its account: for an account without a guest, and for a registered guest's
    (with a tier); a card not sold yet has none."""

    registered_card = enroll(client, "ada")["printedCardNumber"]

    async def work(uow: UnitOfWork) -> list[tuple[Any, Any]]:
        card = await uow.cards.find(MERCHANT, registered_card)
        assert card is not None and card.account_id is not None
        await uow.standing.set_tier(MERCHANT, card.account_id, 2)
        found = []
        for number in (LOYALTY, registered_card, GIFT2):
            card, facts = await uow.cards.find_locking_account(MERCHANT, number)
            assert card is not None
            read = (
                await uow.challenges.audience_facts(MERCHANT, card.account_id)
                if card.account_id is not None
                else None
            )
            found.append((facts, read))
        return found

    unregistered, registered, unsold = in_unit_of_work(work)
    assert unregistered[0] == unregistered[1] and unregistered[0].user_id is None
    assert registered[0] == registered[1] and registered[0].user_id is not None
    assert registered[0].tier == 2
    assert unsold == (None, None)


def test_standing_progress_sums_by_store_only_the_occurrences_asked(
    client: TestClient, guest: int, in_unit_of_work: Callable[..., Any]
) -> None:
    """Summed by store, and only of the occurrences asked for: not of another occurrence
    of a challenge asked about, nor of another challenge's occurrence asked about for
    the first one."""
    rows = [
        (("VISIT3", "20270301"), "1001", 1),
        (("VISIT3", "20270301"), "1001", 2),
        (("VISIT3", "20270301"), "1002", 4),
        (("VISIT3", "20270308"), "1001", 8),
        (("FEAST", "20270301"), "1001", 16),
        (("FEAST", "20270308"), "1002", 32),
    ]

    async def work(uow: UnitOfWork) -> tuple[Any, Any, Any]:
        for ref, store, units in rows:
            await uow.challenges.record_progress(
                MERCHANT, ref, guest, Contribution(None, store, units, WEDNESDAY)
            )
        asked = [("VISIT3", "20270301"), ("FEAST", "20270308")]
        some = await uow.challenges.standing_progress(MERCHANT, guest, asked)
        one = await uow.challenges.standing_progress(MERCHANT, guest, [("VISIT3", "20270308")])
        every = await uow.challenges.standing_progress(MERCHANT, guest)
        return some, one, every

    some, one, every = in_unit_of_work(work)
    assert some == {
        ("VISIT3", "20270301"): [("1001", 3), ("1002", 4)],
        ("FEAST", "20270308"): [("1002", 32)],
    }
    assert one == {("VISIT3", "20270308"): [("1001", 8)]}
    assert set(every) == {ref for ref, _, _ in rows}

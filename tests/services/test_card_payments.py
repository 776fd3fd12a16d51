"""Charging a card and crediting stored value as one recorded payment attempt, below HTTP:
every branch, and a process dying between any two steps (then reconciled)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.domain.cards import CardRef, CardStatus
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import CardNotActive, Reason
from openpxs.domain.moves import Move
from openpxs.domain.payments import AttemptState, ChargeRequest, PaymentFailed, PaymentKind
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp, online
from openpxs.domain.transactions import Kind
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.services import activation, card_payments
from openpxs.services.card_payments import PaymentOrder
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.store.uow import UnitOfWork, unit_of_work
from tests.api.guest_state import audit_clean
from tests.api.pos import GIFT, GIFT2

SV = 1
UNITS = 10_000


class Killed(BaseException):
    """The process dying: nothing after it runs, not even compensation."""


class Harness:
    """The server's database seen by the use cases, with a way to fail a step."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        self.entered = 0
        # unit of work number (1 = the key lookup, 2 = pending) -> what to raise on entry
        self.fail: dict[int, BaseException] = {}

    def units(self) -> AbstractAsyncContextManager[UnitOfWork]:
        @asynccontextmanager
        async def one() -> AsyncIterator[UnitOfWork]:
            self.entered += 1
            failure = self.fail.get(self.entered)
            if failure is not None:
                raise failure
            async with unit_of_work(self.engine) as uow:
                yield uow

        return one()

    def run(self, work: Callable[[], Any]) -> Any:
        # The "death" is caught inside the event loop: a BaseException crossing the
        # test client's portal would stop the loop itself.
        async def guarded() -> Any:
            try:
                return await work()
            except Killed as death:
                return death

        assert self.client.portal is not None
        outcome = self.client.portal.call(guarded)
        if isinstance(outcome, Killed):
            raise outcome
        return outcome

    async def program(self) -> Program:
        async with unit_of_work(self.engine) as uow:
            return await uow.programs.load(1000)

    async def stamp(self) -> CallStamp:
        async with unit_of_work(self.engine) as uow:
            stored = await uow.integrations.by_identifier("demo-pos")
            assert stored is not None
            return online(1000, stored.integration.id, ShiftedClock().now(), "corp")

    def pay(self, token: str, amount: str = "20.00", key: str = "pay-1", card: str = GIFT) -> Any:
        async def go() -> Any:
            program = await self.program()
            order = PaymentOrder(
                kind=PaymentKind.RECHARGE,
                card_number=card,
                wallet_code=SV,
                amount=Decimal(amount),
                token=token,
                idempotency_key=key,
            )
            return await card_payments.charge_and_credit(
                self.units, program, processor(), await self.stamp(), order
            )

        return self.run(go)

    def reconcile(self) -> card_payments.ReconcileReport:
        async def go() -> card_payments.ReconcileReport:
            return await card_payments.reconcile(
                self.units, ShiftedClock().now(), grace=timedelta(0)
            )

        self.fail.clear()
        return self.run(go)  # type: ignore[no-any-return]

    def attempts(self, card: str = GIFT) -> list[PaymentAttempt]:
        async def go() -> list[PaymentAttempt]:
            async with unit_of_work(self.engine) as uow:
                return await uow.payment_attempts.of_card(1000, card)

        return self.run(go)  # type: ignore[no-any-return]

    def balance(self, card: str = GIFT) -> int:
        async def go() -> int:
            async with unit_of_work(self.engine) as uow:
                found = await uow.cards.find(1000, card)
                assert found is not None and found.account_id is not None
                return (await uow.ledger.balances(1000, found.account_id)).get(SV, 0)

        return self.run(go)  # type: ignore[no-any-return]

    def activate(self, card: str = GIFT, amount: str = "5.00") -> None:
        async def go() -> None:
            stamp = await self.stamp()
            async with unit_of_work(self.engine) as uow:
                program = await uow.programs.load(1000)
                await activation.activate(
                    uow, program, stamp, CardRef(card), "SV", [Move(SV, amount)]
                )

        self.run(go)

    def disable(self, card: str = GIFT) -> None:
        async def go() -> None:
            stamp = await self.stamp()
            async with unit_of_work(self.engine) as uow:
                found = await uow.cards.find(1000, card, lock=True)
                assert found is not None and found.account_id is not None
                txn = await uow.transactions.record(
                    stamp, Kind.DISABLE_CARD, account_id=found.account_id
                )
                await uow.cards.change(
                    1000, txn, [(found, found.account_id, CardStatus.DISABLED)], stamp.now
                )

        self.run(go)


def processor() -> BuiltinTestProcessor:
    return BuiltinTestProcessor.for_merchant(1000)


@pytest.fixture
def h(client: TestClient) -> Iterator[Harness]:
    BuiltinTestProcessor.forget_all()
    harness = Harness(client)
    harness.activate()
    yield harness
    BuiltinTestProcessor.forget_all()


def charges() -> dict[str, Any]:
    return processor()._books.payments  # type: ignore[return-value]


def test_an_approved_charge_credits_the_card(h: Harness) -> None:
    paid = h.pay("tok_visa")
    assert paid.attempt.state is AttemptState.CREDITED and paid.attempt.transaction_id
    assert paid.view is not None and paid.view.sv_balance == Decimal("25.00")
    assert h.balance() == 25 * UNITS
    [charge] = charges().values()
    assert charge.captured == Decimal("20.00") and not charge.voided
    audit_clean(h.client)


@pytest.mark.parametrize(
    ("token", "reason", "outcome"),
    [
        ("tok_decline", Reason.PROCESSOR_DECLINED, "declined"),
        ("tok_insufficient_funds", Reason.PROCESSOR_DECLINED, "insufficient_funds"),
        ("tok_requires_action", Reason.PROCESSOR_DECLINED, "requires_action"),
        ("tok_processor_error", Reason.PROCESSOR_ERROR, "processor_error"),
        ("not-a-token", Reason.PROCESSOR_ERROR, "invalid_token"),
    ],
)
def test_a_refused_charge_leaves_the_balance_alone(
    h: Harness, token: str, reason: Reason, outcome: str
) -> None:
    with pytest.raises(PaymentFailed) as refused:
        h.pay(token)
    assert refused.value.reason is reason
    assert refused.value.members["processorOutcome"] == outcome
    [attempt] = h.attempts()
    assert attempt.state is AttemptState.FAILED and attempt.outcome == outcome
    assert h.balance() == 5 * UNITS and not charges()


def test_a_lost_answer_is_asked_again_and_the_charge_used_once(h: Harness) -> None:
    paid = h.pay("tok_timeout")
    assert paid.attempt.state is AttemptState.CREDITED
    assert h.balance() == 25 * UNITS and len(charges()) == 1


def test_the_same_order_sent_twice_at_once_is_charged_once(h: Harness) -> None:
    """Both calls look the key up before either records its attempt: the second finds
    the first's attempt when it tries to record its own, instead of failing the insert."""
    looked_up = asyncio.Barrier(2)

    def units() -> AbstractAsyncContextManager[UnitOfWork]:
        @asynccontextmanager
        async def one() -> AsyncIterator[UnitOfWork]:
            h.entered += 1
            first_two = h.entered <= 2
            async with unit_of_work(h.engine) as uow:
                yield uow
            if first_two:
                await looked_up.wait()

        return one()

    async def both() -> list[Any]:
        program, stamp = await h.program(), await h.stamp()
        order = PaymentOrder(
            kind=PaymentKind.RECHARGE,
            card_number=GIFT,
            wallet_code=SV,
            amount=Decimal("20.00"),
            token="tok_visa",
            idempotency_key="twice",
        )
        calls = [
            card_payments.charge_and_credit(units, program, processor(), stamp, order)
            for _ in range(2)
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = h.run(both)
    paid = [o for o in outcomes if isinstance(o, card_payments.Paid)]
    assert paid and all(isinstance(o, (card_payments.Paid, PaymentFailed)) for o in outcomes), (
        outcomes
    )
    assert len(charges()) == 1 and len(h.attempts()) == 1
    assert h.balance() == 25 * UNITS
    audit_clean(h.client)


def test_an_inactive_card_is_refused_before_any_charge(h: Harness) -> None:
    with pytest.raises(CardNotActive):
        h.pay("tok_visa", card=GIFT2)
    assert h.attempts(GIFT2) == [] and not charges()


def test_a_credit_failing_after_the_charge_voids_it_before_answering(h: Harness) -> None:
    h.fail[4] = RuntimeError("database went away")  # 1 key lookup, 2 pending, 3 charged, 4 credit
    with pytest.raises(PaymentFailed) as refused:
        h.pay("tok_visa")
    assert refused.value.reason is Reason.PROCESSOR_ERROR
    [attempt] = h.attempts()
    assert attempt.state is AttemptState.COMPENSATED
    [charge] = charges().values()
    assert charge.voided
    assert h.balance() == 5 * UNITS


def test_a_refund_when_the_processor_will_not_void(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_void(reference: str, key: str) -> Any:
        raise ConnectionError("void endpoint down")

    monkeypatch.setattr(BuiltinTestProcessor, "void", lambda self, r, k: no_void(r, k))
    h.fail[4] = RuntimeError("credit failed")
    with pytest.raises(PaymentFailed):
        h.pay("tok_visa")
    [charge] = charges().values()
    assert charge.refunded == Decimal("20.00") and not charge.voided
    assert h.attempts()[0].state is AttemptState.COMPENSATED


def test_death_between_charge_and_credit_is_finished_by_reconciliation(h: Harness) -> None:
    h.fail[4] = Killed()
    with pytest.raises(Killed):
        h.pay("tok_visa")
    assert h.attempts()[0].state is AttemptState.CHARGED and h.balance() == 5 * UNITS
    report = h.reconcile()
    assert (report.credited, report.left_open) == (1, 0)
    assert h.attempts()[0].state is AttemptState.CREDITED and h.balance() == 25 * UNITS
    assert h.reconcile() == card_payments.ReconcileReport()  # nothing left to do
    [charge] = charges().values()
    assert not charge.voided
    audit_clean(h.client)


def test_death_after_the_charge_before_recording_it_is_compensated(h: Harness) -> None:
    h.fail[3] = Killed()
    with pytest.raises(Killed):
        h.pay("tok_visa")
    assert h.attempts()[0].state is AttemptState.PENDING and len(charges()) == 1
    report = h.reconcile()
    assert report.compensated == 1
    assert h.attempts()[0].state is AttemptState.COMPENSATED and h.balance() == 5 * UNITS
    [charge] = charges().values()
    assert charge.voided


def test_death_before_the_processor_saw_the_charge_fails_the_attempt(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def dies(self: BuiltinTestProcessor, request: ChargeRequest) -> Any:
        raise Killed()

    monkeypatch.setattr(BuiltinTestProcessor, "charge", dies)
    with pytest.raises(Killed):
        h.pay("tok_visa")
    monkeypatch.undo()
    assert h.reconcile().failed == 1
    assert h.attempts()[0].state is AttemptState.FAILED and h.balance() == 5 * UNITS


def test_a_charged_attempt_on_a_card_that_can_no_longer_take_it_is_refunded(
    h: Harness,
) -> None:
    h.fail[4] = Killed()
    with pytest.raises(Killed):
        h.pay("tok_visa")
    h.disable()  # the card is disabled meanwhile
    assert h.reconcile().compensated == 1
    assert h.attempts()[0].state is AttemptState.COMPENSATED
    assert h.balance() == 5 * UNITS


def test_the_reconcile_command_settles_open_attempts(h: Harness, database_url: str) -> None:
    h.fail[4] = Killed()  # charged, not credited
    with pytest.raises(Killed):
        h.pay("tok_visa", key="pay-a")
    h.fail.clear()
    h.entered = 0
    h.fail[3] = Killed()  # charged at the processor, never recorded
    with pytest.raises(Killed):
        h.pay("tok_visa", key="pay-b")
    runner = CliRunner()
    young = runner.invoke(cli, ["payments", "reconcile", "--database", database_url])
    assert young.exit_code == 0, young.output
    assert "0 credited, 0 given back, 0 failed, 0 left open" in young.output
    done = runner.invoke(
        cli, ["payments", "reconcile", "--database", database_url, "--grace-minutes", "0"]
    )
    assert done.exit_code == 0, done.output
    assert "1 credited, 1 given back, 0 failed, 0 left open" in done.output
    assert "expired payment intents released: 0" in done.output
    states = {a.idempotency_key: a.state for a in h.attempts()}
    assert states == {"pay-a": AttemptState.CREDITED, "pay-b": AttemptState.COMPENSATED}
    assert h.balance() == 25 * UNITS


def fulfil_order(h: Harness, fulfil: Any, key: str = "sub-1") -> Any:
    """A charge that buys something else than stored value (a subscription)."""

    async def go() -> Any:
        program = await h.program()
        order = PaymentOrder(
            kind=PaymentKind.SUBSCRIPTION,
            card_number=GIFT,
            wallet_code=SV,
            amount=Decimal("9.99"),
            token="tok_visa",
            idempotency_key=key,
        )
        return await card_payments.charge_and_fulfil(
            h.units, program, processor(), await h.stamp(), order, fulfil
        )

    return h.run(go)


def test_a_fulfilment_refused_after_the_charge_gives_the_charge_back(h: Harness) -> None:
    async def refuse(uow: UnitOfWork, attempt: PaymentAttempt) -> int | None:
        raise CardNotActive()

    with pytest.raises(CardNotActive):
        fulfil_order(h, refuse)
    [attempt] = h.attempts()
    assert attempt.state is AttemptState.COMPENSATED
    [charge] = charges().values()
    assert charge.voided
    assert h.balance() == 5 * UNITS


def test_a_fulfilment_runs_once_and_marks_the_attempt_credited(h: Harness) -> None:
    calls: list[int] = []

    async def record(uow: UnitOfWork, attempt: PaymentAttempt) -> int | None:
        calls.append(attempt.id)
        return None

    fulfil_order(h, record)
    fulfil_order(h, record)  # the same key again: replayed, not fulfilled twice
    assert len(calls) == 1
    assert [a.state for a in h.attempts()] == [AttemptState.CREDITED]
    # What it bought was not stored value: the balance is untouched.
    assert h.balance() == 5 * UNITS


def test_death_before_a_fulfilment_is_given_back_by_reconciliation(h: Harness) -> None:
    async def never(uow: UnitOfWork, attempt: PaymentAttempt) -> int | None:
        raise AssertionError("not reached")

    h.fail[4] = Killed()  # 1 key lookup, 2 pending, 3 charged, 4 fulfil
    with pytest.raises(Killed):
        fulfil_order(h, never)
    assert h.attempts()[0].state is AttemptState.CHARGED
    report = h.reconcile()
    # Not credited as stored value: the subscription it paid for was never started.
    assert (report.compensated, report.credited) == (1, 0)
    assert h.attempts()[0].state is AttemptState.COMPENSATED and h.balance() == 5 * UNITS
    [charge] = charges().values()
    assert charge.voided

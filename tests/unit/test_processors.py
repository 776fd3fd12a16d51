"""The built-in test processor: outcomes by token, idempotency keys, and the factory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from openpxs.config.payments import PaymentsConfig
from openpxs.domain.payments import (
    NOT_CHARGED,
    AttemptState,
    AttemptStateError,
    ChargeRequest,
    Outcome,
    PaymentsNotConfigured,
    check_move,
)
from openpxs.processors import processor_for
from openpxs.processors.builtin import BuiltinTestProcessor

TEN = Decimal("10.00")


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    BuiltinTestProcessor.forget_all()
    yield
    BuiltinTestProcessor.forget_all()


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def request(token: str, key: str = "k1", amount: Decimal = TEN) -> ChargeRequest:
    return ChargeRequest(amount=amount, currency="USD", token=token, idempotency_key=key)


def test_outcomes_follow_the_token() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    expected = {
        "tok_visa": Outcome.APPROVED,
        "tok_decline": Outcome.DECLINED,
        "tok_insufficient_funds": Outcome.INSUFFICIENT_FUNDS,
        "tok_processor_error": Outcome.PROCESSOR_ERROR,
        "tok_timeout": Outcome.TIMEOUT,
        "tok_requires_action": Outcome.REQUIRES_ACTION,
        "4242424242424242": Outcome.INVALID_TOKEN,
    }
    for i, (token, outcome) in enumerate(expected.items()):
        result = run(p.charge(request(token, key=f"key-{i}")))
        assert result.outcome is outcome, token
        assert (result.outcome in NOT_CHARGED) == (
            outcome not in (Outcome.APPROVED, Outcome.TIMEOUT)
        )


def test_a_key_moves_money_once_and_replays_its_answer() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    first = run(p.charge(request("tok_visa", key="same")))
    again = run(p.charge(request("tok_visa", key="same")))
    assert first == again and first.approved and first.reference
    assert len(p._books.payments) == 1


def test_a_key_used_for_another_operation_is_refused() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    charged = run(p.charge(request("tok_visa", key="k")))
    assert charged.reference
    reused = run(p.void(charged.reference, "k"))
    assert reused.outcome is Outcome.PROCESSOR_ERROR and reused.code == "idempotency_key_reused"


def test_a_timeout_takes_the_money_and_lookup_says_so() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    lost = run(p.charge(request("tok_timeout", key="t")))
    assert lost.unknown
    found = run(p.lookup("t"))
    assert found is not None and found.approved and found.reference
    assert run(p.lookup("never-seen")) is None
    voided = run(p.void(found.reference, "t:void"))
    assert voided.approved
    assert run(p.void(found.reference, "t:void")) == voided  # replayed, not refused


def test_authorize_capture_refund() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    held = run(p.authorize(request("tok_mastercard", key="a")))
    assert held.approved and held.reference
    assert run(p.refund(held.reference, TEN, "r0")).outcome is Outcome.PROCESSOR_ERROR
    assert run(p.capture(held.reference, Decimal("20"), "c0")).outcome is Outcome.PROCESSOR_ERROR
    assert run(p.capture(held.reference, TEN, "c1")).approved
    assert run(p.refund(held.reference, Decimal("4"), "r1")).approved
    assert run(p.refund(held.reference, Decimal("7"), "r2")).outcome is Outcome.PROCESSOR_ERROR
    assert run(p.refund(held.reference, Decimal("6"), "r3")).approved


def test_saved_methods_behave_as_the_token_they_came_from() -> None:
    p = BuiltinTestProcessor.for_merchant(1)
    good = run(p.verify_and_save("tok_amex", "s1"))
    assert good.result.approved and good.token and good.token.startswith("pm_")
    assert good.card is not None and good.card.brand == "AMEX" and good.card.last4 == "8431"
    assert run(p.verify_and_save("tok_amex", "s1")) == good
    poor = run(p.verify_and_save("tok_insufficient_funds", "s2"))
    assert poor.result.approved and poor.token
    assert run(p.charge(request(poor.token, key="c"))).outcome is Outcome.INSUFFICIENT_FUNDS
    assert run(p.verify_and_save("tok_decline", "s3")).result.outcome is Outcome.DECLINED
    assert run(p.verify_and_save("nonsense", "s4")).result.outcome is Outcome.INVALID_TOKEN
    assert run(p.charge(request(good.token, key="c2"))).approved
    assert run(p.redact(good.token, "d")).approved
    assert run(p.charge(request(good.token, key="c3"))).outcome is Outcome.INVALID_TOKEN


def test_merchants_have_their_own_books() -> None:
    run(BuiltinTestProcessor.for_merchant(1).charge(request("tok_visa", key="x")))
    assert run(BuiltinTestProcessor.for_merchant(2).lookup("x")) is None


def test_attempt_moves() -> None:
    assert check_move(AttemptState.PENDING, AttemptState.CHARGED) is AttemptState.CHARGED
    assert check_move(AttemptState.CHARGED, AttemptState.COMPENSATED)
    for done in (AttemptState.CREDITED, AttemptState.FAILED, AttemptState.COMPENSATED):
        with pytest.raises(AttemptStateError):
            check_move(done, AttemptState.CHARGED)
    with pytest.raises(AttemptStateError):
        check_move(AttemptState.PENDING, AttemptState.CREDITED)


def test_factory_reads_secret_references(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(PaymentsNotConfigured):
        processor_for(1, PaymentsConfig())
    by_env = PaymentsConfig.model_validate(
        {"processor": {"kind": "test", "api_key": {"env": "OPENPXS_TEST_KEY"}}}
    )
    monkeypatch.delenv("OPENPXS_TEST_KEY", raising=False)
    with pytest.raises(PaymentsNotConfigured, match="OPENPXS_TEST_KEY"):
        processor_for(1, by_env)
    monkeypatch.setenv("OPENPXS_TEST_KEY", "sk_test_123")
    assert processor_for(1, by_env).name == "test"
    secret = tmp_path / "key"
    by_file = PaymentsConfig.model_validate(
        {"processor": {"kind": "test", "api_key": {"file": str(secret)}}}
    )
    with pytest.raises(PaymentsNotConfigured) as missing:
        processor_for(1, by_file)
    assert "sk_" not in str(missing.value)
    secret.write_text("sk_test_456\n")
    assert processor_for(1, by_file).name == "test"

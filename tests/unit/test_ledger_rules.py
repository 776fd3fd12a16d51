"""The money rules with no I/O: wallet ledger, exact quantities and local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from openpxs.domain.clock import end_of_day, local_date
from openpxs.domain.errors import AmountOutOfRange, InsufficientBalance, InvalidQuantity
from openpxs.domain.ledger import MAX_BALANCE_UNITS, Lot, ShortOfValue, WalletLedger
from openpxs.domain.money import MAX_QUANTITY, from_units, parse_quantity, to_units

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def ledger(*, allow_negative: bool = False) -> WalletLedger:
    return WalletLedger(balance=0, lots=[], allow_negative=allow_negative)


def deficit(w: WalletLedger) -> int:
    return sum(p.units for p in w.postings if p.lot is None)


# ---- credit / debit / expire ------------------------------------------------------------


def test_credit_makes_a_lot_and_a_posting() -> None:
    w = ledger()
    w.credit(500, expires_at=NOW + timedelta(days=1), expires_on=date(2026, 5, 2))
    assert w.balance == 500
    [lot] = w.lots
    assert (lot.remaining, lot.expires_at, lot.expires_on) == (
        500,
        NOW + timedelta(days=1),
        date(2026, 5, 2),
    )
    [posting] = w.postings
    assert (posting.units, posting.lot, posting.balance_after) == (500, lot, 500)


@pytest.mark.parametrize("units", [0, -1])
def test_credit_and_debit_need_a_positive_amount(units: int) -> None:
    w = ledger()
    with pytest.raises(ValueError):
        w.credit(units)
    with pytest.raises(ValueError):
        w.debit(units, NOW)
    assert (w.balance, w.lots, w.postings) == (0, [], [])


def test_debit_spends_soonest_expiring_first_and_never_expiring_last() -> None:
    w = ledger()
    w.credit(100)  # never expires
    w.credit(100, expires_at=NOW + timedelta(days=9))
    w.credit(100, expires_at=NOW + timedelta(days=2))
    never, late, soon = w.lots
    w.debit(150, NOW)
    assert (soon.remaining, late.remaining, never.remaining) == (0, 50, 100)
    assert [(p.units, p.lot) for p in w.postings[3:]] == [(-100, soon), (-50, late)]
    w.debit(100, NOW)
    assert (late.remaining, never.remaining) == (0, 50)
    assert w.balance == 50


def test_equal_expiries_spend_the_older_saved_lot_first() -> None:
    later = NOW + timedelta(days=3)
    # Lots saved before credits joined lots of the same expiry.
    second, first = Lot(8, 100, later), Lot(5, 100, later)
    w = WalletLedger(balance=200, lots=[second, first], allow_negative=False)
    w.debit(150, NOW)
    assert (first.remaining, second.remaining) == (0, 50)


def test_a_credit_joins_the_open_lot_of_its_expiry() -> None:
    later = NOW + timedelta(days=3)
    dated, undated = Lot(5, 100, later), Lot(6, 10, None)
    w = WalletLedger(balance=110, lots=[dated, undated], allow_negative=False)
    w.credit(100, expires_at=later)
    w.credit(5)
    w.credit(7, expires_at=later + timedelta(days=1))  # another expiry: a lot of its own
    assert (dated.remaining, undated.remaining) == (200, 15)
    assert len(w.lots) == 3 and w.lots[-1].id is None and w.lots[-1].remaining == 7
    # Each credit is still a posting of its own, naming the lot it went into.
    assert [(p.units, p.lot) for p in w.postings] == [
        (100, dated),
        (5, undated),
        (7, w.lots[-1]),
    ]
    # Soonest expiry first stays exact: the joined lot is spent before the later one.
    w.debit(205, NOW)
    assert (dated.remaining, w.lots[-1].remaining, undated.remaining) == (0, 2, 15)


def test_a_spent_lot_is_not_joined() -> None:
    empty = Lot(5, 0, None)
    w = WalletLedger(balance=0, lots=[empty], allow_negative=False)
    w.credit(30)
    assert empty.remaining == 0 and w.lots[-1] is not empty


def test_expired_lots_are_not_spent() -> None:
    w = ledger()
    w.credit(100, expires_at=NOW - timedelta(seconds=1))
    w.credit(40)
    with pytest.raises(ShortOfValue) as refused:
        w.debit(50, NOW)
    assert (refused.value.available_units, refused.value.requested_units) == (40, 50)
    assert w.spendable_units(NOW) == 40
    w.debit(40, NOW)
    assert w.lots[0].remaining == 100


def test_a_lot_expires_at_its_instant_not_after() -> None:
    w = ledger()
    w.credit(100, expires_at=NOW)
    assert w.spendable_units(NOW - timedelta(microseconds=1)) == 100
    assert w.spendable_units(NOW) == 0


def test_expire_writes_off_only_lapsed_lots() -> None:
    w = ledger()
    w.credit(100, expires_at=NOW)
    w.credit(30, expires_at=NOW + timedelta(seconds=1))
    w.credit(7)
    lapsed, alive, never = w.lots
    w.expire(NOW)
    assert (lapsed.remaining, alive.remaining, never.remaining) == (0, 30, 7)
    assert w.balance == 37
    assert (w.postings[-1].units, w.postings[-1].lot) == (-100, lapsed)
    before = len(w.postings)
    w.expire(NOW)  # nothing more is due
    assert len(w.postings) == before


def test_refused_debit_changes_nothing() -> None:
    w = ledger()
    w.credit(100, expires_at=NOW + timedelta(days=1))
    w.credit(50)

    def state() -> object:
        return (
            w.balance,
            [(lot.remaining, lot.expires_at) for lot in w.lots],
            [(p.units, id(p.lot), p.balance_after) for p in w.postings],
        )

    snapshot = state()
    with pytest.raises(InsufficientBalance):
        w.debit(151, NOW)
    assert state() == snapshot


def test_prefer_takes_from_the_named_lot_first() -> None:
    w = ledger()
    w.credit(100, expires_at=NOW + timedelta(days=1))
    w.credit(100)
    soon, never = w.lots
    w.debit(120, NOW, prefer=never)
    assert (never.remaining, soon.remaining) == (0, 80)


def test_allow_negative_records_a_deficit_that_the_next_credit_repays() -> None:
    w = ledger(allow_negative=True)
    w.credit(30)
    [lot] = w.lots
    w.debit(100, NOW)
    assert w.balance == -70
    assert lot.remaining == 0
    assert [(p.units, p.lot) for p in w.postings[1:]] == [(-30, lot), (-70, None)]
    w.credit(50)  # all of it repays the deficit: no lot
    assert w.balance == -20
    assert len(w.lots) == 1
    assert (w.postings[-1].units, w.postings[-1].lot) == (50, None)
    w.credit(45, expires_at=NOW + timedelta(days=1))
    assert w.balance == 25
    assert [(p.units, p.lot is None) for p in w.postings[-2:]] == [(20, True), (25, False)]
    assert w.lots[-1].remaining == 25
    assert deficit(w) == 0


def test_negative_wallet_credit_into_a_lot_repays_first() -> None:
    w = ledger(allow_negative=True)
    w.credit(10)
    [lot] = w.lots
    w.debit(25, NOW)
    w.credit(20, into=lot)
    assert (w.balance, lot.remaining, len(w.lots)) == (5, 5, 1)


def test_wallet_that_may_not_go_negative_refuses_instead() -> None:
    w = ledger()
    w.credit(30)
    with pytest.raises(InsufficientBalance):
        w.debit(31, NOW)
    assert w.balance == 30 and w.lots[0].remaining == 30 and len(w.postings) == 1


# ---- the invariants under random use ----------------------------------------------------


class WalletMachine(RuleBasedStateMachine):
    """Random credits, debits, expiries and clock moves on one wallet.

    Debits come after an expiry, as every service runs them (expire_due first); the
    separate ``debit_without_expiring`` rule checks what a debit does on its own.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = NOW
        self.w = ledger()
        self.settled = 0  # deficit postings already written by earlier "flushes"

    @initialize(allow_negative=st.booleans())
    def start(self, allow_negative: bool) -> None:
        self.w = ledger(allow_negative=allow_negative)

    def _snapshot(self) -> tuple[int, list[int], int]:
        return self.w.balance, [lot.remaining for lot in self.w.lots], len(self.w.postings)

    @rule(units=st.integers(1, 10_000), expires_in=st.none() | st.integers(-3_600, 10 * 86_400))
    def credit(self, units: int, expires_in: int | None) -> None:
        expires_at = None if expires_in is None else self.now + timedelta(seconds=expires_in)
        before = self.w.balance
        self.w.credit(units, expires_at=expires_at)
        assert self.w.balance == before + units

    @rule(units=st.integers(1, 20_000), prefer=st.booleans())
    def debit(self, units: int, prefer: bool) -> None:
        self.w.expire(self.now)
        self._debit(units, prefer)

    @rule(units=st.integers(1, 20_000))
    def debit_without_expiring(self, units: int) -> None:
        self._debit(units, False)

    def _debit(self, units: int, prefer: bool) -> None:
        lapsed = {id(lot): lot.remaining for lot in self.w.lots if not lot.spendable(self.now)}
        spendable = self.w.spendable_units(self.now)
        before = self._snapshot()
        preferred = next((lot for lot in self.w.lots if lot.spendable(self.now)), None)
        try:
            self.w.debit(units, self.now, prefer=preferred if prefer else None)
        except InsufficientBalance:
            assert not self.w.allow_negative and spendable < units
            assert self._snapshot() == before
            return
        assert self.w.allow_negative or spendable >= units
        if spendable >= units:
            assert self.w.balance == before[0] - units
            # Expired (or empty) lots keep what they had: expired value is never spent.
            for lot in self.w.lots:
                if id(lot) in lapsed:
                    assert lot.remaining == lapsed[id(lot)]
        else:
            # Into deficit: lapsed value is written off (not spent) before the shortfall.
            assert self.w.balance == before[0] - units - sum(lapsed.values())
            assert all(lot.remaining == 0 for lot in self.w.lots)

    @rule()
    def expire(self) -> None:
        due = sum(
            lot.remaining
            for lot in self.w.lots
            if lot.expires_at is not None and lot.expires_at <= self.now
        )
        before = self.w.balance
        self.w.expire(self.now)
        assert self.w.balance == before - due
        assert all(
            lot.remaining == 0
            for lot in self.w.lots
            if lot.expires_at is not None and lot.expires_at <= self.now
        )

    @rule(seconds=st.integers(0, 3 * 86_400))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.w.postings)
    @rule()
    def flush(self) -> None:
        """What the store does after a transaction: the postings start over."""
        self.settled += deficit(self.w)
        self.w.postings.clear()

    @invariant()
    def balance_is_lots_plus_deficit(self) -> None:
        lots = sum(lot.remaining for lot in self.w.lots)
        assert self.w.balance == lots + self.settled + deficit(self.w)

    @invariant()
    def lots_hold_the_positive_balance(self) -> None:
        assert sum(lot.remaining for lot in self.w.lots) == max(self.w.balance, 0)

    @invariant()
    def never_negative_unless_allowed(self) -> None:
        assert self.w.allow_negative or self.w.balance >= 0
        assert all(lot.remaining >= 0 for lot in self.w.lots)

    @invariant()
    def each_posting_states_the_balance_after_it(self) -> None:
        running = None
        for posting in self.w.postings:
            if running is not None:
                assert posting.balance_after == running + posting.units
            running = posting.balance_after
        if running is not None:
            assert running == self.w.balance


WalletMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestWalletLedgerProperties = WalletMachine.TestCase


# ---- exact quantities -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [
        ("25.00", 2, Decimal("25.00")),
        ("25", 2, Decimal("25")),
        (" 1.5 ", 2, Decimal("1.5")),
        (7, 0, Decimal(7)),
        (0.1, 2, Decimal("0.1")),
        (2.675, 3, Decimal("2.675")),  # the float's shortest repr, not its binary value
        (Decimal("0.01"), 2, Decimal("0.01")),
        ("100000000000", 0, MAX_QUANTITY),
        ("+3", 0, Decimal(3)),
        ("12.3400", 2, Decimal("12.34")),  # trailing zeros are not extra places
    ],
)
def test_parse_quantity_accepts(raw: object, scale: int, expected: Decimal) -> None:
    assert parse_quantity(raw, scale) == expected


@pytest.mark.parametrize(
    ("raw", "scale", "message"),
    [
        ("0", 2, "greater than zero"),
        ("0.00", 2, "greater than zero"),
        ("-0", 2, "greater than zero"),
        ("-1.00", 2, "greater than zero"),
        (-5, 0, "greater than zero"),
        (0.0, 2, "greater than zero"),
        (Decimal("-0.01"), 2, "greater than zero"),
        (Decimal("NaN"), 2, "finite"),
        (Decimal("sNaN"), 2, "finite"),
        (float("nan"), 2, "finite"),
        (Decimal("Infinity"), 2, "finite"),
        (float("inf"), 2, "finite"),
        (float("-inf"), 2, "finite"),
        ("NaN", 2, "not a decimal number"),
        ("sNaN", 2, "not a decimal number"),
        ("Infinity", 2, "not a decimal number"),
        ("-Infinity", 2, "not a decimal number"),
        ("1.001", 2, "more than 2 decimal places"),
        ("1.5", 0, "more than 0 decimal places"),
        (0.125, 2, "more than 2 decimal places"),
        (Decimal("1E-30"), 2, "more than 2 decimal places"),
        ("0.0000000000000000000000000000001", 2, "more than 2 decimal places"),
        ("100000000000.01", 2, "too large"),
        ("100000000001", 0, "too large"),
        ("9" * 60, 0, "too large"),
        (Decimal("1E+400"), 0, "too large"),
        (1e300, 0, "too large"),
        (10**40, 0, "too large"),
        ("", 2, "not a decimal number"),
        ("12,50", 2, "not a decimal number"),
        ("0x10", 0, "not a decimal number"),
        ("1e2", 0, "not a decimal number"),
        ("1_000", 0, "not a decimal number"),
        (".5", 2, "not a decimal number"),
        ("\u0665", 0, "not a decimal number"),  # ARABIC-INDIC DIGIT FIVE
        ("ten", 0, "not a decimal number"),
        (None, 2, "decimal number"),
        (True, 0, "decimal number"),
    ],
)
def test_parse_quantity_refuses(raw: object, scale: int, message: str) -> None:
    with pytest.raises(InvalidQuantity) as refused:
        parse_quantity(raw, scale)
    assert message in str(refused.value)


@given(units=st.integers(1, 10**15), scale=st.integers(0, 4))
def test_units_round_trip_at_storage_scale(units: int, scale: int) -> None:
    value = from_units(units, 4)
    assert to_units(value) == units
    # A wallet's display scale only rounds what is shown when the units are finer.
    if units % 10 ** (4 - scale) == 0:
        assert to_units(from_units(units, scale)) == units


@given(
    value=st.decimals(
        min_value=Decimal("0.01"),
        max_value=MAX_QUANTITY,
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_quantities_round_trip_through_units(value: Decimal) -> None:
    parsed = parse_quantity(str(value), 2)
    units = to_units(parsed)
    assert isinstance(units, int)
    assert from_units(units, 2) == value
    assert str(from_units(units, 2)) == str(value.quantize(Decimal("0.01")))


def test_to_units_refuses_finer_than_storage() -> None:
    with pytest.raises(InvalidQuantity):
        to_units(Decimal("0.00001"))
    assert to_units(Decimal("0.0001")) == 1
    assert to_units(MAX_QUANTITY) == 10**15


def test_from_units_shows_the_wallet_scale() -> None:
    assert str(from_units(250_000, 2)) == "25.00"
    assert str(from_units(0, 2)) == "0.00"
    assert str(from_units(-12_300, 2)) == "-1.23"
    assert str(from_units(70_000, 0)) == "7"


# ---- local days across daylight-saving changes ------------------------------------------

NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("day", "end_utc"),
    [
        (date(2026, 3, 7), datetime(2026, 3, 8, 5, 0, tzinfo=UTC)),  # EST day
        (date(2026, 3, 8), datetime(2026, 3, 9, 4, 0, tzinfo=UTC)),  # 23 hours long
        (date(2026, 3, 9), datetime(2026, 3, 10, 4, 0, tzinfo=UTC)),  # EDT day
        (date(2026, 10, 31), datetime(2026, 11, 1, 4, 0, tzinfo=UTC)),  # EDT day
        (date(2026, 11, 1), datetime(2026, 11, 2, 5, 0, tzinfo=UTC)),  # 25 hours long
        (date(2026, 11, 2), datetime(2026, 11, 3, 5, 0, tzinfo=UTC)),  # EST day
    ],
)
def test_end_of_day_in_new_york(day: date, end_utc: datetime) -> None:
    end = end_of_day(day, NEW_YORK)
    assert end == end_utc
    assert end.utcoffset() == timedelta(0)
    assert local_date(end - timedelta(microseconds=1), NEW_YORK) == day
    assert local_date(end, NEW_YORK) == day + timedelta(days=1)


def test_daylight_saving_days_are_23_and_25_hours_long() -> None:
    def length(day: date) -> timedelta:
        return end_of_day(day, NEW_YORK) - end_of_day(day - timedelta(days=1), NEW_YORK)

    assert length(date(2026, 3, 8)) == timedelta(hours=23)
    assert length(date(2026, 11, 1)) == timedelta(hours=25)
    assert length(date(2026, 6, 1)) == timedelta(hours=24)


def test_end_of_day_where_local_midnight_is_skipped() -> None:
    # Sao Paulo began daylight saving at midnight on 2018-11-04: 00:00 -03 became
    # 01:00 -02, so 2018-11-03 ended at 03:00 UTC.
    end = end_of_day(date(2018, 11, 3), "America/Sao_Paulo")
    assert end == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert local_date(end - timedelta(microseconds=1), "America/Sao_Paulo") == date(2018, 11, 3)
    assert local_date(end, "America/Sao_Paulo") == date(2018, 11, 4)


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    zone=st.sampled_from(
        [NEW_YORK, "America/Chicago", "Europe/London", "Asia/Tokyo", "Australia/Lord_Howe", "UTC"]
    ),
)
def test_end_of_day_is_the_first_instant_of_the_next_local_day(day: date, zone: str) -> None:
    end = end_of_day(day, zone)
    assert local_date(end - timedelta(microseconds=1), zone) == day
    assert local_date(end, zone) == day + timedelta(days=1)


def test_a_balance_stays_within_its_range_either_way() -> None:
    top = MAX_BALANCE_UNITS
    w = ledger()
    w.credit(top)
    with pytest.raises(AmountOutOfRange):
        w.credit(1)
    assert (w.balance, len(w.lots), len(w.postings)) == (top, 1, 1)
    w.debit(1, NOW)
    w.credit(1)
    owing = ledger(allow_negative=True)
    owing.debit(top, NOW)
    with pytest.raises(AmountOutOfRange):
        owing.debit(1, NOW)
    assert (owing.balance, len(owing.postings)) == (-top, 1)

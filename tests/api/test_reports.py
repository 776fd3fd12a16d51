"""The reports add up to the ledger: after random POS sessions through HTTP (loads with
and without expiry at two stores, redemptions, voids, posted checks, clock moves and
the expiry sweep), the last day's liability is the sum of the balances the balance API
reports, accrual minus redemption and expiry over any days is the change in liability,
expired value is the expiry journal's, the stores' figures add up to the merchant's and
the audit stays clean. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from openpxs.domain.clock import ShiftedClock, end_of_day, local_date
from openpxs.domain.errors import InvalidMerchant, InvalidRequest, InvalidStore
from openpxs.services import reports
from openpxs.services.expiry import expire_everything
from openpxs.store.tables import accounts, journal, transactions
from openpxs.store.uow import UnitOfWork, reading, unit_of_work
from tests.api.checks import a_check, audit_clean, item, post_check
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    activate,
    add_redeem_body,
    balance,
    call,
    run_db,
    sell,
    wallets,
)
from tests.conftest import reset

ZONE = "America/New_York"
CARDS = (GIFT, GIFT2, LOYALTY)
STORES = ("1001", "1002")


def report(client: TestClient, make: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    """A report made by its use case over the app's database."""
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> Any:
        async with reading(engine) as uow:
            return await make(uow)

    assert client.portal is not None
    return client.portal.call(go)


def sweep(client: TestClient, now: datetime) -> None:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(expire_everything, lambda: unit_of_work(engine), now)


def expiry_journal(client: TestClient, wallet: int) -> Decimal:
    """What the expiry transactions took out of a wallet, straight from the journal."""

    async def total(conn: Any) -> int:
        query = (
            select(func.coalesce(func.sum(journal.c.units), 0))
            .join(transactions, transactions.c.id == journal.c.transaction_id)
            .where(transactions.c.kind == "expire", journal.c.wallet_code == wallet)
        )
        return int((await conn.execute(query)).scalar_one())

    return Decimal(-run_db(client, total)) / 10_000


class Session:
    def __init__(self, client: TestClient, clock: ShiftedClock, start: datetime):
        self.client, self.clock, self.now = client, clock, start
        self.bodies: list[dict[str, Any]] = []
        self.ids = 0
        self.set_clock()

    def set_clock(self) -> None:
        self.clock.offset = self.now - datetime.now(UTC)

    def today(self) -> date:
        return local_date(self.now, ZONE)

    def run(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        self.ids += 1
        if kind == "advance":
            self.now += timedelta(hours=op[1])
            self.set_clock()
        elif kind == "sweep":
            sweep(self.client, self.now)
        elif kind == "void":
            if self.bodies:
                call(self.client, "voidAddRedeem", self.bodies[op[1] % len(self.bodies)])
        elif kind == "check":
            post_check(
                self.client, LOYALTY, a_check(f"c{self.ids}", item("BURGER", f"{op[1]}.00", "FOOD"))
            )
        else:
            _, card, store, cents, days = op
            number = CARDS[card]
            quantity = [{"walletCode": 1, "quantity": f"{cents // 100}.{cents % 100:02d}"}]
            if days is not None:
                expires = self.today() + timedelta(days=days)
                quantity[0]["expiration"] = {"date": expires.isoformat(), "type": "absolute"}
            adds, redeems = (quantity, None) if kind == "add" else (None, quantity)
            body = add_redeem_body(number, adds, redeems, pos_id=f"p{self.ids}", storeCode=store)
            if call(self.client, "addRedeem", body)["result"] == "authorizedSuccess":
                self.bodies.append(body)


operations = st.one_of(
    st.tuples(
        st.sampled_from(["add", "redeem"]),
        st.integers(0, 2),
        st.sampled_from(STORES),
        st.integers(1, 4_000),
        st.none() | st.integers(0, 2),
    ),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("check"), st.integers(1, 150)),
    st.tuples(st.just("advance"), st.integers(1, 40)),
    st.tuples(st.just("sweep")),
)


def balances(client: TestClient, wallet_codes: set[int]) -> Decimal:
    """The sum over the cards of these wallets' balances, as the balance API says."""
    total = Decimal(0)
    for number in CARDS:
        for code, shown in wallets(balance(client, number)).items():
            if code in wallet_codes:
                total += Decimal(shown)
    return total


def activity_net(report: reports.ActivityReport, wallet: int, since: date | None = None) -> Decimal:
    return sum(
        (
            r.net
            for r in report.rows
            if r.wallet_code == wallet and (since is None or r.day >= since)
        ),
        Decimal(0),
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=14))
def test_the_reports_add_up_to_the_ledger(
    client: TestClient, clock: ShiftedClock, ops: list[tuple[Any, ...]]
) -> None:
    reset(client)
    # Half past midnight in New York and whole hours after it: no call lands on the
    # edge of a day, where lots expire.
    start = end_of_day(local_date(datetime.now(UTC), ZONE) - timedelta(days=1), ZONE)
    session = Session(client, clock, start + timedelta(minutes=30))
    sell(client, GIFT, "50.00")
    sell(client, GIFT2, "20.00")
    activate(client, LOYALTY)
    session.run(("add", 0, "1002", 1_500, 1))  # value that lapses unless spent first
    for op in ops:
        session.run(op)
    # Three days on, every expiring load has lapsed; the sweep writes it off.
    session.now += timedelta(days=3)
    session.set_clock()
    sweep(client, session.now)
    first, last = local_date(start + timedelta(minutes=30), ZONE), session.today()

    sv = report(client, lambda uow: reports.liability(uow, 1000, first, last))
    loyalty = report(client, lambda uow: reports.points(uow, 1000, first, last))
    moved = report(client, lambda uow: reports.activity(uow, 1000, first, last))

    event(f"value expired: {sv.expired(1) > 0}, days: {min(len(sv.days), 3)}+")
    assert [w.code for w in sv.wallets] == [1]
    assert sv.opening == {1: Decimal("0.00")}
    assert sv.closing(1) == balances(client, {1})
    assert loyalty.closing(2) + loyalty.closing(3) == balances(client, {2, 3})
    for wallet in (1, 2, 3, 4):
        opening = sv.opening.get(wallet, loyalty.opening.get(wallet, Decimal(0)))
        assert opening == 0
    assert activity_net(moved, 1) == sv.closing(1) - sv.opening[1]
    assert activity_net(moved, 2) == loyalty.closing(2)
    assert sv.expired(1) == moved.total(1, "expired") == expiry_journal(client, 1)
    assert len(sv.days) == (last - first).days + 1

    # A period that starts later opens with what the days before left.
    if last > first:
        later = first + timedelta(days=1)
        tail = report(client, lambda uow: reports.liability(uow, 1000, later, last))
        assert tail.opening[1] == sv.days[0].outstanding
        assert tail.closing(1) - tail.opening[1] == activity_net(moved, 1, since=later)

    # The stores' own figures are the merchant's, row for row.
    for store in STORES:
        at_store = report(
            client, lambda uow, s=store: reports.activity(uow, 1000, first, last, store_code=s)
        )
        assert at_store.rows == tuple(r for r in moved.rows if r.store_code == store)
        owed = report(
            client, lambda uow, s=store: reports.liability(uow, 1000, first, last, store_code=s)
        )
        assert owed.closing(1) == activity_net(at_store, 1)

    opened = report(client, lambda uow: reports.enrollments(uow, 1000, first, last))
    assert opened.total == run_db(client, _accounts)
    audit_clean(client)


async def _accounts(conn: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(accounts))).scalar_one())


def test_dormant_value_is_what_idle_accounts_hold(client: TestClient, clock: ShiftedClock) -> None:
    """An account idle since before the cut-off holds dormant value; one used since
    does not; an expiry is no activity."""
    start = end_of_day(local_date(datetime.now(UTC), ZONE) - timedelta(days=1), ZONE)
    clock.offset = start + timedelta(hours=1) - datetime.now(UTC)
    sell(client, GIFT, "30.00")
    lapsing = local_date(start + timedelta(hours=1), ZONE) + timedelta(days=35)
    bonus = {
        "walletCode": 1,
        "quantity": "5.00",
        "expiration": {"date": lapsing.isoformat(), "type": "absolute"},
    }
    call(client, "addRedeem", add_redeem_body(GIFT, [bonus]))
    sell(client, GIFT2, "12.00")
    now = start + timedelta(days=40, hours=1)
    clock.offset = now - datetime.now(UTC)
    sweep(client, now)  # GIFT's bonus lapses on day 35: an expiry, not activity
    call(client, "addRedeem", add_redeem_body(GIFT2, None, [{"walletCode": 1, "quantity": "2"}]))
    today = local_date(now, ZONE)
    first = today - timedelta(days=45)

    owed = report(client, lambda uow: reports.liability(uow, 1000, first, today, dormant_days=30))
    assert owed.closing(1) == Decimal("40.00")
    assert owed.expired(1) == Decimal("5.00")
    assert owed.dormant == {1: Decimal("30.00")}
    longer = report(client, lambda uow: reports.liability(uow, 1000, first, today, dormant_days=60))
    assert longer.dormant == {1: Decimal("0.00")}


def test_days_are_the_merchants_days(client: TestClient, clock: ShiftedClock) -> None:
    """A load at 23:30 in New York is that day's, though it is the next day in UTC."""
    late = end_of_day(date(2026, 7, 3), ZONE) - timedelta(minutes=30)
    clock.offset = late - datetime.now(UTC)
    sell(client, GIFT, "10.00")
    moved = report(
        client, lambda uow: reports.activity(uow, 1000, date(2026, 7, 3), date(2026, 7, 4))
    )
    assert [(r.day, r.store_code, r.wallet_code, r.accrued) for r in moved.rows] == [
        (date(2026, 7, 3), "1001", 1, Decimal("10.00"))
    ]
    owed = report(
        client, lambda uow: reports.liability(uow, 1000, date(2026, 7, 3), date(2026, 7, 4))
    )
    assert [d.outstanding for d in owed.days] == [Decimal("10.00"), Decimal("10.00")]


def test_days_around_a_clock_change_keep_their_loads(
    client: TestClient, clock: ShiftedClock
) -> None:
    """1 November 2026 is 25 hours long in New York: loads late on the day before, late
    on it and early on the next each land on their own local day."""
    moments = [
        (datetime(2026, 11, 1, 3, 30, tzinfo=UTC), "1.00"),  # 23:30 EDT, 31 October
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "2.00"),  # 23:30 EST, 1 November
        (datetime(2026, 11, 2, 5, 30, tzinfo=UTC), "4.00"),  # 00:30 EST, 2 November
    ]
    for index, (moment, amount) in enumerate(moments):
        clock.offset = moment - datetime.now(UTC)
        if index == 0:
            sell(client, GIFT, amount)
        else:
            add = [{"walletCode": 1, "quantity": amount}]
            call(client, "addRedeem", add_redeem_body(GIFT, add, None, pos_id=f"dst{index}"))
    period = date(2026, 10, 30), date(2026, 11, 3)
    moved = report(client, lambda uow: reports.activity(uow, 1000, *period))
    assert [(r.day, r.accrued) for r in moved.rows] == [
        (date(2026, 10, 31), Decimal("1.00")),
        (date(2026, 11, 1), Decimal("2.00")),
        (date(2026, 11, 2), Decimal("4.00")),
    ]
    owed = report(client, lambda uow: reports.liability(uow, 1000, *period))
    assert [str(d.outstanding) for d in owed.days] == ["0.00", "1.00", "3.00", "7.00", "7.00"]


def test_a_challenge_completion_is_counted_on_its_day_and_store(
    client: TestClient, clock: ShiftedClock
) -> None:
    from tests.api.test_challenge import WEDNESDAY, opt_in, visit

    clock.offset = WEDNESDAY - datetime.now(UTC)
    activate(client)
    assert opt_in(client, "VISIT3")["result"] == "success"
    for number in ("A1", "A2", "A3"):
        visit(client, number)
    week = date(2027, 3, 8), date(2027, 3, 14)
    done = report(client, lambda uow: reports.challenges(uow, 1000, *week))
    assert [(r.day, r.challenge_code, r.accounts, r.groups) for r in done.rows] == [
        (date(2027, 3, 10), "VISIT3", 1, 0)
    ]
    assert done.challenges[:3] == ("VISIT3", "FEAST50", "POINTS200")
    here = report(client, lambda uow: reports.challenges(uow, 1000, *week, store_code="1001"))
    assert here.rows == done.rows
    there = report(client, lambda uow: reports.challenges(uow, 1000, *week, store_code="1002"))
    assert there.rows == ()


@pytest.mark.parametrize(
    ("first", "last", "store", "refusal"),
    [
        (date(2026, 5, 2), date(2026, 5, 1), None, InvalidRequest),
        (date(2025, 1, 1), date(2026, 5, 1), None, InvalidRequest),
        (date(2026, 5, 1), date(2026, 5, 1), "nowhere", InvalidStore),
    ],
)
def test_a_report_that_cannot_be_made_is_refused(
    client: TestClient, first: date, last: date, store: str | None, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        report(client, lambda uow: reports.activity(uow, 1000, first, last, store_code=store))


def test_an_unknown_merchant_is_refused(client: TestClient) -> None:
    with pytest.raises(InvalidMerchant):
        report(
            client, lambda uow: reports.enrollments(uow, 4242, date(2026, 5, 1), date(2026, 5, 1))
        )

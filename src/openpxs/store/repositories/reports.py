"""Reports over a merchant's ledger: sums of the journal by day, wallet and store, the
accounts opened and the challenges completed, all grouped in the database.

A report's days are the merchant's days, so the caller gives their edges as UTC
instants (``bounds``: the start of the first day, then the end of each day; days that
are 23 or 25 hours long when daylight-saving time starts or ends included). Each row's
day is computed from its instant (``_day_of``: whole seconds since the epoch, divided
by the day's length within runs of 24-hour days), so a statement reads the rows of the
period once, through the merchant-and-time index, and groups them by day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, extract, func, literal, select, union_all
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from openpxs.domain.reports import MAX_REPORT_DAYS
from openpxs.store.repositories import Repository
from openpxs.store.tables import (
    accounts,
    challenge_completions,
    challenge_group_completions,
    challenge_progress,
    integrations,
    journal,
    transaction_cards,
    transactions,
)

EXPIRE_KIND = "expire"
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class WalletDay:
    """What one store's transactions moved in one wallet on one day (units of 1/10000):
    credits, debits other than expiry, and value written off by expiry. ``store_code``
    is None for transactions recorded without a store (expiry, the server's own)."""

    day: int
    wallet_code: int
    store_code: str | None
    credited: int
    debited: int
    expired: int


@dataclass(frozen=True)
class Enrollments:
    day: int
    channel: str | None
    count: int


@dataclass(frozen=True)
class Completions:
    day: int
    challenge_code: str
    accounts: int
    groups: int


def _runs(bounds: Sequence[datetime]) -> list[tuple[int, int, int, bool]]:
    """The period as runs of days: (first day's index, start, end in epoch seconds,
    whether every day of the run is 24 hours long). A day when the clocks change is a
    run of its own, so a zone has a handful of runs a year."""
    if not 2 <= len(bounds) <= MAX_REPORT_DAYS + 1:
        raise ValueError(f"a report covers 1 to {MAX_REPORT_DAYS} days")
    edges = [int(b.timestamp()) for b in bounds]
    runs: list[tuple[int, int, int, bool]] = []
    for index, (starts, ends) in enumerate(pairwise(edges)):
        even = ends - starts == DAY_SECONDS
        if runs and even and runs[-1][3]:
            first, run_start, _, _ = runs[-1]
            runs[-1] = (first, run_start, ends, True)
        else:
            runs.append((index, starts, ends, even))
    return runs


class ReportRepository(Repository):
    def _seconds(self, at: ColumnElement[datetime]) -> ColumnElement[int]:
        """Whole seconds since the epoch of a UTC column (every day edge is whole)."""
        if self.postgres:
            return cast(func.floor(extract("epoch", at)), BigInteger)
        return cast(func.strftime("%s", at), BigInteger)

    def _day_of(
        self, at: ColumnElement[datetime], bounds: Sequence[datetime]
    ) -> ColumnElement[int]:
        """The index of the period's day an instant falls on (the caller keeps the rows
        inside the period)."""
        seconds = self._seconds(at)
        whens = []
        for first, starts, ends, even in _runs(bounds):
            day: ColumnElement[int] = literal(first, BigInteger)
            if even:
                # Floor division: SQLAlchemy's "/" divides exactly (as NUMERIC).
                elapsed = seconds - literal(starts, BigInteger)
                day = day + elapsed // literal(DAY_SECONDS, BigInteger)
            whens.append((seconds < literal(ends, BigInteger), day))
        return case(*whens, else_=None)

    async def wallet_days(
        self,
        merchant_id: int,
        wallet_codes: Sequence[int],
        bounds: Sequence[datetime],
        store_code: str | None = None,
    ) -> list[WalletDay]:
        """The journal of these wallets summed by day, wallet and store."""
        rows = (
            select(
                self._day_of(journal.c.created_at, bounds).label("day"),
                journal.c.wallet_code,
                transactions.c.store_code,
                transactions.c.kind,
                journal.c.units,
            )
            .select_from(journal)
            .join(transactions, _of_transaction())
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.wallet_code.in_(wallet_codes),
                journal.c.created_at >= bounds[0],
                journal.c.created_at < bounds[-1],
            )
        )
        moved = _at_store(rows, store_code).subquery("moved")
        expiring = moved.c.kind == EXPIRE_KIND
        units = moved.c.units
        query = (
            select(
                moved.c.day,
                moved.c.wallet_code,
                moved.c.store_code,
                func.sum(case((and_(units > 0, ~expiring), units), else_=0)).label("credited"),
                func.sum(case((and_(units < 0, ~expiring), -units), else_=0)).label("debited"),
                func.sum(case((expiring, -units), else_=0)).label("expired"),
            )
            .group_by(moved.c.day, moved.c.wallet_code, moved.c.store_code)
            .order_by(moved.c.day, moved.c.wallet_code, moved.c.store_code)
        )
        return [
            WalletDay(
                int(r.day),
                int(r.wallet_code),
                r.store_code,
                int(r.credited),
                int(r.debited),
                int(r.expired),
            )
            for r in await self.conn.execute(query)
        ]

    async def balances_before(
        self,
        merchant_id: int,
        wallet_codes: Sequence[int],
        before: datetime,
        store_code: str | None = None,
    ) -> dict[int, int]:
        """wallet -> the sum of its journal before an instant (the outstanding value)."""
        query = (
            select(journal.c.wallet_code, func.sum(journal.c.units).label("units"))
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.wallet_code.in_(wallet_codes),
                journal.c.created_at < before,
            )
            .group_by(journal.c.wallet_code)
        )
        if store_code is not None:
            query = _at_store(query.join(transactions, _of_transaction()), store_code)
        return {int(r.wallet_code): int(r.units) for r in await self.conn.execute(query)}

    async def dormant_balances(
        self,
        merchant_id: int,
        wallet_codes: Sequence[int],
        at: datetime,
        idle_since: datetime,
        store_code: str | None = None,
    ) -> dict[int, int]:
        """wallet -> the value outstanding at ``at`` on accounts whose last activity (a
        journal row of any wallet that is not an expiry) came before ``idle_since``."""
        held = (
            select(
                journal.c.account_id,
                journal.c.wallet_code,
                func.sum(journal.c.units).label("units"),
            )
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.wallet_code.in_(wallet_codes),
                journal.c.created_at < at,
            )
            .group_by(journal.c.account_id, journal.c.wallet_code)
        )
        if store_code is not None:
            held = _at_store(held.join(transactions, _of_transaction()), store_code)
        holdings = held.subquery("held")
        active = (
            select(journal.c.account_id)
            .join(transactions, _of_transaction())
            .where(
                journal.c.merchant_id == merchant_id,
                transactions.c.kind != EXPIRE_KIND,
                journal.c.created_at >= idle_since,
                journal.c.created_at < at,
            )
            .distinct()
            .subquery("active")
        )
        query = (
            select(holdings.c.wallet_code, func.sum(holdings.c.units).label("units"))
            .select_from(holdings)
            .outerjoin(active, active.c.account_id == holdings.c.account_id)
            .where(active.c.account_id.is_(None))
            .group_by(holdings.c.wallet_code)
        )
        return {int(r.wallet_code): int(r.units) for r in await self.conn.execute(query)}

    async def enrollments(
        self, merchant_id: int, bounds: Sequence[datetime], store_code: str | None = None
    ) -> list[Enrollments]:
        """Accounts opened per day and channel: the name of the integration that recorded
        the account's first transaction (its activation); None when no integration did
        (the server's own tools). The store is the one the guest enrolled at, else the
        activation's."""
        # An activation records no account on its transaction (the account is its
        # outcome) but on the card it changed: the account's first card change is it.
        first = (
            select(func.min(transaction_cards.c.transaction_id))
            .where(
                transaction_cards.c.merchant_id == accounts.c.merchant_id,
                transaction_cards.c.account_id == accounts.c.id,
            )
            .scalar_subquery()
        )
        opening = (
            select(
                accounts.c.id.label("account_id"),
                self._day_of(accounts.c.created_at, bounds).label("day"),
                accounts.c.enroll_store_code,
                first.label("transaction_id"),
            )
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.created_at >= bounds[0],
                accounts.c.created_at < bounds[-1],
            )
            .subquery("opening")
        )
        store = func.coalesce(opening.c.enroll_store_code, transactions.c.store_code)
        query = (
            select(
                opening.c.day, integrations.c.name.label("channel"), func.count().label("opened")
            )
            .select_from(opening)
            .outerjoin(
                transactions,
                and_(
                    transactions.c.merchant_id == merchant_id,
                    transactions.c.id == opening.c.transaction_id,
                ),
            )
            .outerjoin(integrations, integrations.c.id == transactions.c.integration_id)
            .group_by(opening.c.day, integrations.c.name)
            .order_by(opening.c.day, integrations.c.name)
        )
        if store_code is not None:
            query = query.where(store == store_code)
        found = await self.conn.execute(query)
        return [Enrollments(int(r.day), r.channel, int(r.opened)) for r in found]

    async def completions(
        self, merchant_id: int, bounds: Sequence[datetime], store_code: str | None = None
    ) -> list[Completions]:
        """Challenge occurrences completed per day and challenge: by accounts, and by
        social groups (a group completion has no store, so a store's report has none).
        An account's completion is the store's whose check completed it."""
        by_account = (
            select(
                challenge_completions.c.challenge_code.label("code"),
                challenge_completions.c.completed_at.label("at"),
                literal(1).label("accounts"),
                literal(0).label("groups"),
            )
            .where(challenge_completions.c.merchant_id == merchant_id)
            .where(challenge_completions.c.completed_at >= bounds[0])
            .where(challenge_completions.c.completed_at < bounds[-1])
        )
        if store_code is not None:
            by_account = by_account.where(_completing_store() == store_code)
            done = by_account.subquery("done")
        else:
            by_group = (
                select(
                    challenge_group_completions.c.challenge_code.label("code"),
                    challenge_group_completions.c.completed_at.label("at"),
                    literal(0).label("accounts"),
                    literal(1).label("groups"),
                )
                .where(challenge_group_completions.c.merchant_id == merchant_id)
                .where(challenge_group_completions.c.completed_at >= bounds[0])
                .where(challenge_group_completions.c.completed_at < bounds[-1])
            )
            done = union_all(by_account, by_group).subquery("done")
        dated = select(
            self._day_of(done.c.at, bounds).label("day"),
            done.c.code,
            done.c.accounts,
            done.c.groups,
        ).subquery("dated")
        query = (
            select(
                dated.c.day,
                dated.c.code,
                func.sum(dated.c.accounts).label("accounts"),
                func.sum(dated.c.groups).label("groups"),
            )
            .group_by(dated.c.day, dated.c.code)
            .order_by(dated.c.day, dated.c.code)
        )
        return [
            Completions(int(r.day), r.code, int(r.accounts), int(r.groups))
            for r in await self.conn.execute(query)
        ]


def _completing_store() -> ColumnElement[str | None]:
    """The store of the check that completed an account's occurrence: its last standing
    progress, recorded in the same call as the completion."""
    progress = challenge_progress
    return (
        select(progress.c.store_code)
        .where(
            progress.c.merchant_id == challenge_completions.c.merchant_id,
            progress.c.challenge_code == challenge_completions.c.challenge_code,
            progress.c.occurrence == challenge_completions.c.occurrence,
            progress.c.account_id == challenge_completions.c.account_id,
            progress.c.recorded_at <= challenge_completions.c.completed_at,
            progress.c.taken_back_at.is_(None),
        )
        .order_by(progress.c.recorded_at.desc(), progress.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _of_transaction() -> ColumnElement[bool]:
    return and_(
        transactions.c.merchant_id == journal.c.merchant_id,
        transactions.c.id == journal.c.transaction_id,
    )


def _at_store(query: Select[Any], store_code: str | None) -> Select[Any]:
    if store_code is None:
        return query
    return query.where(transactions.c.store_code == store_code)

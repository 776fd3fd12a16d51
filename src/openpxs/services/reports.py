"""Reports for the people who run a program: what the merchant owes its guests, what
moved where, who enrolled and which challenges were completed.

Every figure comes from the ledger (the journal and its transactions), summed in the
database by day (the merchant's days), wallet and store; nothing is estimated. Amounts
are exact decimals at each wallet's scale. A store filter counts what the store's own
transactions moved, so the stores' figures add up to the merchant's, apart from what
was recorded without a store (expiry above all).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.money import from_units
from openpxs.domain.program import Program, WalletDef
from openpxs.domain.reports import LOYALTY_KINDS, STORED_VALUE_KINDS, Period
from openpxs.store.uow import UnitOfWork

# Value on accounts with no activity for this long is dormant unless told otherwise.
DEFAULT_DORMANT_DAYS = 365
# The channel of an account opened by the server's own tools (no integration).
SERVER_CHANNEL = "server"


@dataclass(frozen=True)
class Scope:
    """What a report was asked for."""

    merchant_id: int
    merchant_name: str
    period: Period
    store_code: str | None


@dataclass(frozen=True)
class Wallet:
    code: int
    name: str
    kind: str
    scale: int


@dataclass(frozen=True)
class Table:
    """A report as rows of text, for the terminal and CSV: amounts as exact decimals."""

    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class LiabilityDay:
    """One wallet's day: the value outstanding when it ended, and what moved in it."""

    day: date
    wallet_code: int
    outstanding: Decimal
    added: Decimal
    spent: Decimal
    expired: Decimal


@dataclass(frozen=True)
class LiabilityReport:
    """Outstanding value over time: every day of the period for every wallet, with the
    value written off by expiry and, at the period's end, the value on dormant accounts
    (no activity but expiry for ``dormant_days``)."""

    title: str
    scope: Scope
    wallets: tuple[Wallet, ...]
    opening: dict[int, Decimal]
    days: tuple[LiabilityDay, ...]
    dormant_days: int
    dormant: dict[int, Decimal]

    def closing(self, wallet_code: int) -> Decimal:
        last = [d for d in self.days if d.wallet_code == wallet_code]
        return last[-1].outstanding if last else self.opening[wallet_code]

    def expired(self, wallet_code: int) -> Decimal:
        return sum((d.expired for d in self.days if d.wallet_code == wallet_code), Decimal(0))

    def table(self) -> Table:
        """A row per day and wallet; the dormant value on the last day's rows."""
        header = ("day", "wallet", "outstanding", "added", "spent", "expired", "dormant")
        last = self.scope.period.last
        rows = [
            (
                d.day.isoformat(),
                str(d.wallet_code),
                str(d.outstanding),
                str(d.added),
                str(d.spent),
                str(d.expired),
                str(self.dormant[d.wallet_code]) if d.day == last else "",
            )
            for d in self.days
        ]
        return Table(header, rows)


@dataclass(frozen=True)
class ActivityRow:
    """What one store (None: recorded without a store) moved in one wallet on one day:
    value accrued (every credit), redeemed (every debit but expiry) and expired."""

    day: date
    store_code: str | None
    wallet_code: int
    accrued: Decimal
    redeemed: Decimal
    expired: Decimal

    @property
    def net(self) -> Decimal:
        return self.accrued - self.redeemed - self.expired


@dataclass(frozen=True)
class ActivityReport:
    title: str
    scope: Scope
    wallets: tuple[Wallet, ...]
    rows: tuple[ActivityRow, ...]

    def total(self, wallet_code: int, what: str) -> Decimal:
        found = (getattr(r, what) for r in self.rows if r.wallet_code == wallet_code)
        return sum(found, Decimal(0))

    def table(self) -> Table:
        header = ("day", "store", "wallet", "accrued", "redeemed", "expired", "net")
        rows = [
            (
                r.day.isoformat(),
                r.store_code or "",
                str(r.wallet_code),
                str(r.accrued),
                str(r.redeemed),
                str(r.expired),
                str(r.net),
            )
            for r in self.rows
        ]
        return Table(header, rows)


@dataclass(frozen=True)
class EnrollmentRow:
    day: date
    channel: str
    accounts: int


@dataclass(frozen=True)
class EnrollmentReport:
    """Accounts opened per day and channel: the integration (by name) that recorded
    the account's activation, or ``server`` for the server's own tools."""

    title: str
    scope: Scope
    channels: tuple[str, ...]
    rows: tuple[EnrollmentRow, ...]

    @property
    def total(self) -> int:
        return sum(r.accounts for r in self.rows)

    def table(self) -> Table:
        rows = [(r.day.isoformat(), r.channel, str(r.accounts)) for r in self.rows]
        return Table(("day", "channel", "enrollments"), rows)


@dataclass(frozen=True)
class ChallengeRow:
    day: date
    challenge_code: str
    accounts: int
    groups: int


@dataclass(frozen=True)
class ChallengeReport:
    """Challenge occurrences completed per day: by accounts and by social groups."""

    title: str
    scope: Scope
    challenges: tuple[str, ...]
    rows: tuple[ChallengeRow, ...]

    def table(self) -> Table:
        rows = [
            (r.day.isoformat(), r.challenge_code, str(r.accounts), str(r.groups)) for r in self.rows
        ]
        return Table(("day", "challenge", "accounts", "groups"), rows)


Report = LiabilityReport | ActivityReport | EnrollmentReport | ChallengeReport


def write_csv(table: Table, out: TextIO) -> None:
    """The table as CSV: a header row, then one row per line of the report; amounts as
    exact decimals in the wallet's units (dollars, points), quoted where needed."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)


async def _scope(
    uow: UnitOfWork, merchant_id: int, first: date, last: date, store_code: str | None
) -> tuple[Program, Scope]:
    """The merchant's program and the scope asked for; refuses an unknown merchant or
    store and a period that is not one."""
    program = await uow.programs.load(merchant_id)
    if store_code is not None:
        program.store(store_code)
    period = Period(first, last, program.timezone)
    return program, Scope(merchant_id, program.name, period, store_code)


def _wallets(program: Program, kinds: Iterable[str] | None = None) -> tuple[Wallet, ...]:
    chosen = set(kinds) if kinds is not None else None
    return tuple(
        Wallet(w.code, w.name, w.kind, w.scale)
        for w in sorted(program.wallets.values(), key=lambda w: w.code)
        if chosen is None or w.kind in chosen
    )


def _amount(units: int, wallet: Wallet | WalletDef) -> Decimal:
    return from_units(units, wallet.scale)


async def liability(
    uow: UnitOfWork,
    merchant_id: int,
    first: date,
    last: date,
    *,
    store_code: str | None = None,
    dormant_days: int = DEFAULT_DORMANT_DAYS,
) -> LiabilityReport:
    """Stored value (currency wallets) outstanding at the end of each day, its expiry
    and the dormant part of it at the period's end."""
    return await _outstanding(
        uow,
        "Stored-value liability",
        STORED_VALUE_KINDS,
        merchant_id,
        first,
        last,
        store_code,
        dormant_days,
    )


async def points(
    uow: UnitOfWork,
    merchant_id: int,
    first: date,
    last: date,
    *,
    store_code: str | None = None,
    dormant_days: int = DEFAULT_DORMANT_DAYS,
) -> LiabilityReport:
    """Points and rewards outstanding at the end of each day, as ``liability``."""
    return await _outstanding(
        uow,
        "Points liability",
        LOYALTY_KINDS,
        merchant_id,
        first,
        last,
        store_code,
        dormant_days,
    )


async def _outstanding(
    uow: UnitOfWork,
    title: str,
    kinds: frozenset[str],
    merchant_id: int,
    first: date,
    last: date,
    store_code: str | None,
    dormant_days: int,
) -> LiabilityReport:
    if dormant_days < 1:
        raise InvalidRequest("dormant accounts are idle for at least one day")
    program, scope = await _scope(uow, merchant_id, first, last, store_code)
    wallets = _wallets(program, kinds)
    codes = [w.code for w in wallets]
    if not codes:
        return LiabilityReport(title, scope, (), {}, (), dormant_days, {})
    bounds = scope.period.bounds()
    opening = await uow.reports.balances_before(merchant_id, codes, bounds[0], store_code)
    moved: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in await uow.reports.wallet_days(merchant_id, codes, bounds, store_code):
        sums = moved[(row.day, row.wallet_code)]
        sums[0] += row.credited
        sums[1] += row.debited
        sums[2] += row.expired
    # One step per day and wallet: the database summed the journal already.
    days: list[LiabilityDay] = []
    running = {code: opening.get(code, 0) for code in codes}
    for index, day in enumerate(scope.period.days):
        for wallet in wallets:
            added, spent, expired = moved.get((index, wallet.code), (0, 0, 0))
            running[wallet.code] += added - spent - expired
            days.append(
                LiabilityDay(
                    day,
                    wallet.code,
                    _amount(running[wallet.code], wallet),
                    _amount(added, wallet),
                    _amount(spent, wallet),
                    _amount(expired, wallet),
                )
            )
    idle_since = bounds[-1] - timedelta(days=dormant_days)
    dormant = await uow.reports.dormant_balances(
        merchant_id, codes, bounds[-1], idle_since, store_code
    )
    return LiabilityReport(
        title,
        scope,
        wallets,
        {w.code: _amount(opening.get(w.code, 0), w) for w in wallets},
        tuple(days),
        dormant_days,
        {w.code: _amount(dormant.get(w.code, 0), w) for w in wallets},
    )


async def activity(
    uow: UnitOfWork,
    merchant_id: int,
    first: date,
    last: date,
    *,
    store_code: str | None = None,
) -> ActivityReport:
    """Accrual and redemption of every wallet, by day and store."""
    program, scope = await _scope(uow, merchant_id, first, last, store_code)
    wallets = _wallets(program)
    by_code = {w.code: w for w in wallets}
    days = scope.period.days
    found = await uow.reports.wallet_days(
        merchant_id, list(by_code), scope.period.bounds(), store_code
    )
    rows = tuple(
        ActivityRow(
            days[r.day],
            r.store_code,
            r.wallet_code,
            _amount(r.credited, by_code[r.wallet_code]),
            _amount(r.debited, by_code[r.wallet_code]),
            _amount(r.expired, by_code[r.wallet_code]),
        )
        for r in found
    )
    return ActivityReport("Accrual and redemption", scope, wallets, rows)


async def enrollments(
    uow: UnitOfWork,
    merchant_id: int,
    first: date,
    last: date,
    *,
    store_code: str | None = None,
) -> EnrollmentReport:
    """Accounts opened per day and channel."""
    _, scope = await _scope(uow, merchant_id, first, last, store_code)
    days = scope.period.days
    found = await uow.reports.enrollments(merchant_id, scope.period.bounds(), store_code)
    rows = tuple(EnrollmentRow(days[r.day], r.channel or SERVER_CHANNEL, r.count) for r in found)
    channels = tuple(sorted({r.channel for r in rows}))
    return EnrollmentReport("Enrollments", scope, channels, rows)


async def challenges(
    uow: UnitOfWork,
    merchant_id: int,
    first: date,
    last: date,
    *,
    store_code: str | None = None,
) -> ChallengeReport:
    """Challenge occurrences completed per day and challenge."""
    program, scope = await _scope(uow, merchant_id, first, last, store_code)
    days = scope.period.days
    found = await uow.reports.completions(merchant_id, scope.period.bounds(), store_code)
    rows = tuple(ChallengeRow(days[r.day], r.challenge_code, r.accounts, r.groups) for r in found)
    configured = [c.code for c in program.challenges]
    codes = configured + sorted({r.challenge_code for r in rows} - set(configured))
    return ChallengeReport("Challenge completions", scope, tuple(codes), rows)

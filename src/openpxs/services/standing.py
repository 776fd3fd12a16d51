"""An account's standing in the program: what the rules of a check read about it (tier,
what it earned today, whether this is its first visit) and its tier, re-qualified after
every posted check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from openpxs.config.loyalty import TierRule
from openpxs.domain.checks import spend_of
from openpxs.domain.clock import end_of_day
from openpxs.domain.earning import AccountFacts, TierGoal, next_tier, tier_for, tier_goals
from openpxs.domain.money import from_units
from openpxs.domain.program import Program
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class Customer:
    """Who the account is, as the POS screen shows it."""

    name: str | None = None
    tier_code: int | None = None


async def account_facts(
    uow: UnitOfWork,
    program: Program,
    account_id: int,
    now: datetime,
    *,
    tier_and_visited: tuple[int | None, bool] | None = None,
) -> AccountFacts:
    """What the earning rules look at on the account; its tier and whether it visited
    before are read unless the caller read them already (``tier_and_visited``)."""
    mid = program.merchant_id
    tier, visited = tier_and_visited or await uow.standing.tier_and_visited(mid, account_id)
    day_start = end_of_day(program.today(now) - timedelta(days=1), program.timezone)
    earned_today = {
        rule.wallet: await earned_since(uow, program, account_id, rule.wallet, day_start)
        for rule in program.loyalty.earning
        if rule.cap_per_day is not None
    }
    return AccountFacts(tier_code=tier, earned_today=earned_today, first_visit=not visited)


async def earned_since(
    uow: UnitOfWork, program: Program, account_id: int, wallet_code: int, since: datetime
) -> Decimal:
    """Value credited to a wallet since ``since`` by transactions that still stand."""
    units = await uow.standing.earned_since(program.merchant_id, account_id, wallet_code, since)
    wallet = program.wallets.get(wallet_code)
    return from_units(units, wallet.scale if wallet else 4)


async def spend_since(
    uow: UnitOfWork, merchant_id: int, account_id: int, since: datetime
) -> Decimal:
    """What the guest paid on the account's checks that accrued since ``since``."""
    outcomes = await uow.checks.accrued_outcomes_since(merchant_id, account_id, since)
    return sum((spend_of(outcome) for outcome in outcomes), Decimal(0))


async def tier_stats(
    uow: UnitOfWork, program: Program, account_id: int, now: datetime
) -> tuple[int | None, dict[str, Decimal]]:
    """The account's stored tier and what it earned (and spent) in each tier's window,
    keyed as ``tier_for`` reads them."""
    tiers = program.loyalty.tiers
    windows: dict[str, tuple[int, datetime]] = {}
    for tier in tiers:
        since = now - timedelta(days=tier.window_days)
        for kind, wallet in (("points", tier.points_wallet), ("visits", tier.visits_wallet)):
            if wallet is not None:
                windows.setdefault(f"{kind}:{wallet}:{tier.window_days}", (wallet, since))
    mid = program.merchant_id
    current, earned = await uow.standing.tier_and_earnings(mid, account_id, list(windows.values()))
    stats: dict[str, Decimal] = {}
    for key, (wallet_code, _), units in zip(windows, windows.values(), earned, strict=True):
        held_in = program.wallets.get(wallet_code)
        stats[key] = from_units(units, held_in.scale if held_in else 4)
    for tier in tiers:
        if tier.spend is not None:
            since = now - timedelta(days=tier.window_days)
            stats[f"spend:{tier.window_days}"] = await spend_since(uow, mid, account_id, since)
    return current, stats


async def update_tier(
    uow: UnitOfWork, program: Program, account_id: int, now: datetime
) -> int | None:
    """Re-qualify the account for its tier from what it earned in each tier's window;
    written only when it changes."""
    tiers = program.loyalty.tiers
    if not tiers:
        return None
    current, stats = await tier_stats(uow, program, account_id, now)
    code = tier_for(tiers, stats)
    if code != current:
        await uow.standing.set_tier(program.merchant_id, account_id, code)
    return code


@dataclass(frozen=True)
class TierProgress:
    """The account's tier and, below the top, the tier above it with each of its
    thresholds (any one qualifies) against what the account earned in its window."""

    current: TierRule | None
    next: TierRule | None
    goals: list[TierGoal]


async def tier_progress(
    uow: UnitOfWork, program: Program, account_id: int, now: datetime
) -> TierProgress:
    tiers = program.loyalty.tiers
    if not tiers:
        return TierProgress(None, None, [])
    current, stats = await tier_stats(uow, program, account_id, now)
    above = next_tier(tiers, current)
    return TierProgress(
        next((t for t in tiers if t.code == current), None),
        above,
        tier_goals(above, stats) if above is not None else [],
    )


async def customer_name(uow: UnitOfWork, merchant_id: int, account_id: int) -> str | None:
    user = await uow.users.of_account(merchant_id, account_id)
    if user is None:
        return None
    return name_of(user.fields.get("firstName"), user.fields.get("lastName"))


def name_of(first_name: object, last_name: object) -> str | None:
    """A guest's name as the POS shows it (customerName); None when it has none."""
    return " ".join(str(p) for p in (first_name, last_name) if p) or None


async def customer(uow: UnitOfWork, merchant_id: int, account_id: int | None) -> Customer:
    """The account's guest name and tier (nobody, for a card not yet activated)."""
    if account_id is None:
        return Customer()
    tier = await uow.standing.tier_of(merchant_id, account_id)
    return Customer(await customer_name(uow, merchant_id, account_id), tier)

"""The rules engine: what a check earns and which rewards and coupons come off it.

Pure functions over a check, the account's situation and the program's rules
(``config.loyalty``); no HTTP, no SQL, no clock of its own. Every result carries a
breakdown naming the rule that gave it, so an operator can see why a check earned what
it did.

Money is Decimal in currency units. Line amounts are extended prices (quantity times unit
price) before discounts. Discounts are spread over the lines they touch: an item
discount on its line, a subtotal discount over every line in proportion to what is left
of it, so spend that cannot earn (alcohol, gift cards) carries its share of a discount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from openpxs.config.loyalty import (
    WEEKDAYS,
    Conversion,
    Eligibility,
    LoyaltyConfig,
    RewardDefinition,
    TierRule,
    When,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)
ROUNDING = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}
DISCOUNT_TYPES = {
    "amount_off_subtotal": "SUBTOTAL",
    "percent_off_subtotal": "SUBTOTAL",
    "amount_off_item": "ITEM",
    "percent_off_item": "ITEM",
    "free_item": "ITEM",
    "amount_off_items": "MULTI_ITEM",
    "amount_off_service_charge": "SERVICE_CHARGE",
}


@dataclass(frozen=True)
class Line:
    line_id: str
    item_id: str
    categories: frozenset[str]
    quantity: Decimal
    amount: Decimal

    @property
    def unit_price(self) -> Decimal:
        return self.amount / self.quantity if self.quantity > 0 else self.amount


@dataclass(frozen=True)
class CheckFacts:
    lines: tuple[Line, ...]
    subtotal: Decimal
    store_code: str
    store_groups: frozenset[str] = frozenset()
    service_charges: Decimal = ZERO
    # The merchant's local time of the check (day of week, time windows, dates).
    at: datetime | None = None


@dataclass(frozen=True)
class Discount:
    """Money taken off the check: on some lines, or (no lines) on the subtotal."""

    source: str
    amount: Decimal
    line_ids: tuple[str, ...] = ()
    service_charge: bool = False


@dataclass(frozen=True)
class AccountFacts:
    tier_code: int | None = None
    # Points already earned today per wallet (for daily caps).
    earned_today: Mapping[int, Decimal] = field(default_factory=dict)
    first_visit: bool = False


@dataclass(frozen=True)
class RuleResult:
    rule: str
    wallet: int
    quantity: Decimal
    detail: str


@dataclass
class Accrual:
    quantities: dict[int, Decimal] = field(default_factory=dict)
    breakdown: list[RuleResult] = field(default_factory=list)

    def add(self, result: RuleResult) -> None:
        if result.quantity <= 0:
            return
        self.quantities[result.wallet] = self.quantities.get(result.wallet, ZERO) + result.quantity
        self.breakdown.append(result)


@dataclass(frozen=True)
class Offer:
    """A reward or coupon as it would come off this check."""

    source: str
    kind: str  # ITEM, MULTI_ITEM, SUBTOTAL, SERVICE_CHARGE
    amount: Decimal
    line_ids: tuple[str, ...]

    def as_discount(self) -> Discount:
        return Discount(
            self.source,
            self.amount,
            () if self.kind in ("SUBTOTAL", "SERVICE_CHARGE") else self.line_ids,
            service_charge=self.kind == "SERVICE_CHARGE",
        )


@dataclass(frozen=True)
class ConversionMove:
    rule: str
    from_wallet: int
    from_quantity: Decimal
    to_wallet: int
    to_quantity: Decimal


def plain(value: Decimal) -> str:
    """A Decimal as people write it: no exponent, no trailing zeros (80, 1.5, 0.25)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def round_to(value: Decimal, scale: int, mode: str = "floor") -> Decimal:
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUNDING[mode])


def line_matches(rule: Eligibility, line: Line) -> bool:
    if rule.items and line.item_id not in rule.items:
        return False
    if rule.categories and not (line.categories & set(rule.categories)):
        return False
    if line.item_id in rule.exclude_items:
        return False
    return not (line.categories & set(rule.exclude_categories))


def store_matches(rule: Eligibility, check: CheckFacts) -> bool:
    if rule.stores and check.store_code not in rule.stores:
        return False
    return not rule.store_groups or bool(check.store_groups & set(rule.store_groups))


def applies(when: When, at: datetime | None) -> bool:
    if at is None:
        return not (when.days_of_week or when.time_from or when.time_to)
    day, clock = at.date(), at.time().replace(tzinfo=None)
    if when.date_from and day < when.date_from:
        return False
    if when.date_to and day > when.date_to:
        return False
    if when.days_of_week and WEEKDAYS[at.weekday()] not in when.days_of_week:
        return False
    if when.time_from and when.time_to and when.time_from > when.time_to:
        # A window across midnight (22:00-02:00).
        return clock >= when.time_from or clock < when.time_to
    if when.time_from and clock < when.time_from:
        return False
    return not (when.time_to and clock >= when.time_to)


def net_amounts(check: CheckFacts, discounts: Iterable[Discount]) -> dict[str, Decimal]:
    """Each line's amount after the discounts, never below zero."""
    left = {line.line_id: line.amount for line in check.lines}
    spread: list[Discount] = []
    for d in discounts:
        if d.service_charge:
            continue
        if d.line_ids:
            remaining = d.amount
            for line_id in d.line_ids:
                if line_id in left and remaining > 0:
                    taken = min(remaining, left[line_id])
                    left[line_id] -= taken
                    remaining -= taken
            if remaining > 0:
                spread.append(Discount(d.source, remaining))
        else:
            spread.append(d)
    for d in spread:
        total = sum(left.values(), ZERO)
        if total <= 0:
            break
        amount = min(d.amount, total)
        shares = {k: (amount * v / total) for k, v in left.items()}
        for k in left:
            left[k] = max(ZERO, left[k] - shares[k])
    return left


def accrue(
    rules: LoyaltyConfig,
    scales: Mapping[int, int],
    check: CheckFacts,
    discounts: Sequence[Discount],
    account: AccountFacts,
) -> Accrual:
    """The points, visits and bonuses this check earns, with the rule behind each."""
    accrual = Accrual()
    net = net_amounts(check, discounts)
    net_subtotal = sum(net.values(), ZERO)
    for rule in rules.earning:
        if not applies(rule.when, check.at) or not store_matches(rule.eligible, check):
            continue
        if net_subtotal < rule.min_check:
            continue
        raw = ZERO
        eligible_spend = ZERO
        applied: dict[str, Decimal] = {}
        for line in check.lines:
            if not line_matches(rule.eligible, line) or net[line.line_id] <= 0:
                continue
            factor = Decimal(1)
            for m in rules.multipliers:
                if _multiplier_applies(
                    m.wallet, m.eligible, m.when, m.tiers, rule.wallet, line, check, account
                ):
                    factor *= m.factor
                    applied[m.name] = m.factor
            eligible_spend += net[line.line_id]
            raw += net[line.line_id] * rule.per_currency * factor
        scale = scales.get(rule.wallet, 0)
        points = round_to(raw, scale, rule.rounding)
        notes = [f"eligible {eligible_spend.quantize(CENT)}"]
        notes += [f"{name} x{plain(factor)}" for name, factor in applied.items()]
        if rule.cap_per_check is not None and points > rule.cap_per_check:
            points = rule.cap_per_check
            notes.append(f"capped at {rule.cap_per_check} per check")
        if rule.cap_per_day is not None:
            room = max(ZERO, rule.cap_per_day - account.earned_today.get(rule.wallet, ZERO))
            if points > room:
                points = room
                notes.append(f"capped at {rule.cap_per_day} per day")
        accrual.add(RuleResult(rule.name, rule.wallet, points, ", ".join(notes)))
    for bonus in rules.bonuses:
        if not applies(bonus.when, check.at) or net_subtotal < bonus.min_check:
            continue
        if bonus.first_visit and account.first_visit:
            accrual.add(RuleResult(bonus.name, bonus.wallet, bonus.quantity, "first visit"))
        units = sum((int(line.quantity) for line in check.lines if line.item_id in bonus.items), 0)
        if units:
            accrual.add(
                RuleResult(bonus.name, bonus.wallet, bonus.quantity * units, f"{units} x item")
            )
    for visit in rules.visits:
        if net_subtotal >= visit.min_subtotal:
            accrual.add(
                RuleResult(
                    visit.name,
                    visit.wallet,
                    visit.per_check,
                    f"subtotal {net_subtotal.quantize(CENT)}",
                )
            )
    return accrual


def _multiplier_applies(
    wallet: int | None,
    eligible: Eligibility,
    when: When,
    tiers: list[int],
    rule_wallet: int,
    line: Line,
    check: CheckFacts,
    account: AccountFacts,
) -> bool:
    if wallet is not None and wallet != rule_wallet:
        return False
    if tiers and account.tier_code not in tiers:
        return False
    return (
        applies(when, check.at) and store_matches(eligible, check) and line_matches(eligible, line)
    )


def conversions(
    rules: Iterable[Conversion], balances: Mapping[int, Decimal]
) -> list[ConversionMove]:
    """Automatic conversions due on these balances: whole thresholds only."""
    moves = []
    left = dict(balances)
    for rule in rules:
        if not rule.automatic:
            continue
        have = left.get(rule.from_wallet, ZERO)
        times = int(have // rule.threshold) if have > 0 else 0
        if times <= 0:
            continue
        left[rule.from_wallet] = have - rule.threshold * times
        left[rule.to_wallet] = left.get(rule.to_wallet, ZERO) + rule.quantity * times
        moves.append(
            ConversionMove(
                rule.name,
                rule.from_wallet,
                rule.threshold * times,
                rule.to_wallet,
                rule.quantity * times,
            )
        )
    return moves


def offer(
    source: str,
    definition: RewardDefinition,
    check: CheckFacts,
    taken: Sequence[Discount],
) -> Offer | None:
    """What one unit of a reward (or a coupon) takes off the check, after the discounts
    already ``taken``; None when it does not apply."""
    if check.subtotal < definition.min_subtotal:
        return None
    left = net_amounts(check, taken)
    kind = DISCOUNT_TYPES[definition.kind]
    if kind == "SERVICE_CHARGE":
        used = sum((d.amount for d in taken if d.service_charge), ZERO)
        room = max(ZERO, check.service_charges - used)
        amount = min(definition.amount or ZERO, room)
        return Offer(source, kind, amount, ()) if amount > 0 else None
    lines = [
        line
        for line in check.lines
        if line_matches(definition.eligible, line) and left[line.line_id] > 0
    ]
    if kind == "SUBTOTAL":
        room = sum(left.values(), ZERO)
        if definition.kind == "percent_off_subtotal":
            wanted = (room * (definition.percent or ZERO) / 100).quantize(CENT, ROUND_HALF_UP)
        else:
            wanted = definition.amount or ZERO
        amount = min(wanted, room).quantize(CENT, ROUND_FLOOR)
        return Offer(source, kind, amount, ()) if amount > 0 else None
    if not lines:
        return None
    if kind == "MULTI_ITEM":
        room = sum((left[line.line_id] for line in lines), ZERO)
        amount = min(definition.amount or ZERO, room).quantize(CENT, ROUND_FLOOR)
        ids = tuple(line.line_id for line in lines)
        return Offer(source, kind, amount, ids) if amount > 0 else None

    # One item: the one that gives the guest the most.
    def value(line: Line) -> Decimal:
        room = left[line.line_id]
        if definition.kind == "free_item":
            wanted = line.unit_price
        elif definition.kind == "percent_off_item":
            wanted = (room * (definition.percent or ZERO) / 100).quantize(CENT, ROUND_HALF_UP)
        else:
            wanted = definition.amount or ZERO
        return min(wanted, room).quantize(CENT, ROUND_FLOOR)

    best = max(lines, key=lambda line: (value(line), line.line_id))
    amount = value(best)
    return Offer(source, kind, amount, (best.line_id,)) if amount > 0 else None


@dataclass(frozen=True)
class TierGoal:
    """One threshold of a tier and where the account stands against it."""

    kind: str  # points, visits or spend
    wallet: int | None  # the wallet counted (None for spend)
    window_days: int
    have: Decimal
    need: Decimal

    @property
    def reached(self) -> bool:
        return self.have >= self.need


def tier_goals(tier: TierRule, stats: Mapping[str, Decimal]) -> list[TierGoal]:
    """The thresholds of ``tier`` (any one qualifies) against the stats ``tier_for``
    reads."""
    goals = []
    window = tier.window_days
    if tier.points is not None and tier.points_wallet is not None:
        have = stats.get(f"points:{tier.points_wallet}:{window}", ZERO)
        goals.append(TierGoal("points", tier.points_wallet, window, have, tier.points))
    if tier.visits is not None and tier.visits_wallet is not None:
        have = stats.get(f"visits:{tier.visits_wallet}:{window}", ZERO)
        goals.append(TierGoal("visits", tier.visits_wallet, window, have, tier.visits))
    if tier.spend is not None:
        have = stats.get(f"spend:{window}", ZERO)
        goals.append(TierGoal("spend", None, window, have, tier.spend))
    return goals


def tier_for(tiers: Sequence[TierRule], stats: Mapping[str, Decimal]) -> int | None:
    """The highest tier (last in the list) whose any threshold the stats reach.

    ``stats`` holds ``points:<wallet>``, ``visits:<wallet>`` and ``spend`` over each
    tier's window, as the caller measured them.
    """
    reached = None
    for tier in tiers:
        goals = tier_goals(tier, stats)
        if not goals or any(goal.reached for goal in goals):
            reached = tier.code
    return reached


def next_tier(tiers: Sequence[TierRule], current: int | None) -> TierRule | None:
    """The tier above ``current`` (tiers are listed lowest first) that takes a
    threshold to reach; None at the top."""
    codes = [t.code for t in tiers]
    start = codes.index(current) + 1 if current in codes else 0
    return next((t for t in tiers[start:] if tier_goals(t, {})), None)


@dataclass(frozen=True)
class NextConversion:
    """How much more of a conversion's wallet turns into its reward."""

    rule: Conversion
    have: Decimal
    missing: Decimal


def next_conversions(
    rules: Iterable[Conversion], balances: Mapping[int, Decimal]
) -> list[NextConversion]:
    """For each automatic conversion, what the balance lacks to reach its next
    threshold (a whole threshold converts as soon as it is reached)."""
    found = []
    for rule in rules:
        if not rule.automatic:
            continue
        have = max(balances.get(rule.from_wallet, ZERO), ZERO)
        found.append(NextConversion(rule, have, rule.threshold - have % rule.threshold))
    return found


def receipt_text(accrual: Accrual, names: Mapping[int, str], offers: Sequence[Offer]) -> str:
    """A short receipt block: what came off the check and what it earned, by rule."""
    lines = [f"{o.source}: -{o.amount.quantize(CENT)}" for o in offers]
    lines += [
        f"{r.rule}: +{plain(r.quantity)} {names.get(r.wallet, r.wallet)} ({r.detail})"
        for r in accrual.breakdown
    ]
    return "\n".join(lines)


Entry = tuple[int, int, int | None, int]  # (account, wallet, lot, units) of a journal


def claw_back(
    entries: Sequence[Entry],
    available: Mapping[int, int],
    rules: Iterable[Conversion],
    units_per_one: int,
) -> list[Entry]:
    """The entries a reversal of a check undoes, when rewards its points converted into
    have been spent since: instead of taking back a reward that is gone, the reversal
    keeps the points that paid for it (rules with ``on_reversal: claw_back``).

    ``available`` is each wallet's balance now, in storage units. Rules that say
    ``refuse`` are left alone: taking back the missing reward then fails as insufficient.
    """
    out: list[list[Any]] = [list(e) for e in entries]
    for rule in rules:
        if rule.on_reversal != "claw_back":
            continue
        to_take = sum(e[3] for e in out if e[1] == rule.to_wallet and e[3] > 0)
        short = to_take - max(0, available.get(rule.to_wallet, 0))
        per_reward = int(rule.quantity * units_per_one)
        per_points = int(rule.threshold * units_per_one)
        given_back = -sum(e[3] for e in out if e[1] == rule.from_wallet and e[3] < 0)
        times = min(-(-short // per_reward) if short > 0 else 0, given_back // per_points)
        if times <= 0:
            continue
        _shrink(out, rule.to_wallet, times * per_reward, positive=True)
        _shrink(out, rule.from_wallet, times * per_points, positive=False)
    return [(int(e[0]), int(e[1]), e[2], int(e[3])) for e in out if e[3] != 0]


def _shrink(entries: list[list[Any]], wallet: int, amount: int, *, positive: bool) -> None:
    """Take ``amount`` off the size of a wallet's credits (or debits), last ones first."""
    for entry in reversed(entries):
        if amount <= 0:
            return
        if entry[1] != wallet or (entry[3] > 0) != positive or entry[3] == 0:
            continue
        size = abs(entry[3])
        cut = min(size, amount)
        entry[3] = (size - cut) * (1 if positive else -1)
        amount -= cut

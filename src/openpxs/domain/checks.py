"""A check as the POS sends it, the facts the rules engine reads from it, and the
check as it is stored.

The check must add up: the item prices (with their modifiers) less the check's
discounts make the subtotal, and subtotal, service charges and tax make the total when
one is given. Discounts the POS took for Paytronix rewards (those with a wallet code)
are left to the server, which works them out itself from the rewards asked for, so they
are never counted twice.

A check is stored once per (store, POS agent, check number, business date); it accrues
once, redeems once and is stored once, however often it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpxs.domain.check_plans import Plan
from openpxs.domain.earning import CENT, CheckFacts, Discount, Line
from openpxs.domain.errors import AmountsExceedCheckTotal, DuplicateCheck, InvalidRequest
from openpxs.domain.program import Program


@dataclass(frozen=True)
class PosItem:
    """One item of the check, with the modifiers sold with it."""

    line_id: str | None
    item_id: str
    categories: frozenset[str]
    quantity: Decimal
    price: Decimal
    modifiers: tuple[PosItem, ...] = ()


@dataclass(frozen=True)
class PosDiscount:
    name: str | None
    amount: Decimal
    line_id: str | None = None
    # Set when the POS took the discount for a Paytronix reward.
    wallet_code: int | None = None


@dataclass(frozen=True)
class PosCheck:
    number: str
    items: tuple[PosItem, ...]
    discounts: tuple[PosDiscount, ...]
    subtotal: Decimal
    service_charges: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    total: Decimal | None = None

    @property
    def grand_total(self) -> Decimal:
        """The total sent, or the one its parts make."""
        if self.total is not None:
            return self.total
        return self.subtotal + self.service_charges + self.tax


@dataclass(frozen=True)
class CheckKey:
    """What a check is stored under; a missing agent name or business date is ""."""

    store_code: str
    agent_name: str
    number: str
    business_date: str


@dataclass(frozen=True)
class SentCheck:
    """A check as a call sends it: its key, its content, and the body stored with it."""

    key: CheckKey
    check: PosCheck
    body: dict[str, Any]


def local_time(program: Program, now: datetime) -> datetime:
    """The merchant's wall-clock time of ``now`` (rules' days and time windows)."""
    return now.astimezone(ZoneInfo(program.timezone)).replace(tzinfo=None)


def _lines(items: tuple[PosItem, ...], prefix: str = "") -> Iterator[Line]:
    for i, item in enumerate(items, start=1):
        line_id = item.line_id or f"{prefix}{i}"
        yield Line(
            line_id=line_id,
            item_id=item.item_id,
            categories=item.categories,
            quantity=item.quantity,
            amount=item.price,
        )
        yield from _lines(item.modifiers, f"{line_id}.")


def check_facts(
    check: PosCheck, program: Program, store_code: str, at: datetime | None
) -> tuple[CheckFacts, list[Discount]]:
    """(facts, the POS's own discounts) of a check that adds up; InvalidRequest if not."""
    store = program.store(store_code)
    if not check.items:
        raise InvalidRequest("the check has no items")
    lines = list(_lines(check.items))
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("two lines of the check have the same lineId")
    gross = sum((line.amount for line in lines), Decimal(0))
    discounted = sum((d.amount for d in check.discounts), Decimal(0))
    if (gross - discounted).quantize(CENT) != check.subtotal.quantize(CENT):
        raise InvalidRequest(
            f"the check does not add up: items {gross} less discounts {discounted} "
            f"is not the subtotal {check.subtotal}"
        )
    if check.total is not None:
        expected = check.subtotal + check.service_charges + check.tax
        if expected.quantize(CENT) != check.total.quantize(CENT):
            raise InvalidRequest(
                f"the check does not add up: subtotal, service charges and tax make "
                f"{expected}, not the total {check.total}"
            )
    pos_discounts = []
    for d in check.discounts:
        if d.line_id is not None and d.line_id not in ids:
            raise InvalidRequest(f"a discount names line {d.line_id!r}, which is not on the check")
        if d.wallet_code is None:
            pos_discounts.append(
                Discount(d.name or "discount", d.amount, (d.line_id,) if d.line_id else ())
            )
    non_loyalty = sum((d.amount for d in pos_discounts), Decimal(0))
    facts = CheckFacts(
        lines=tuple(lines),
        subtotal=gross - non_loyalty,
        store_code=store_code,
        store_groups=store.groups,
        service_charges=check.service_charges,
        at=at,
    )
    return facts, pos_discounts


def split_ratios(check: PosCheck, paid: list[Decimal]) -> list[Decimal]:
    """Each payer's part of a split check (amount paid / total); the parts may not add
    up to more than the check."""
    total = check.grand_total
    spent = sum(paid, Decimal(0))
    if spent > total:
        raise AmountsExceedCheckTotal(f"the cards paid {spent} of a check of {total}")
    return [amount / total if total > 0 else Decimal(0) for amount in paid]


def share_of(facts: CheckFacts, ratio: Decimal) -> CheckFacts:
    """The check as one payer's part of it: every line scaled by ``ratio``."""
    return CheckFacts(
        lines=tuple(
            # Quantities shrink too, so an item bonus goes by the units each paid for.
            Line(ln.line_id, ln.item_id, ln.categories, ln.quantity * ratio, ln.amount * ratio)
            for ln in facts.lines
        ),
        subtotal=facts.subtotal * ratio,
        store_code=facts.store_code,
        store_groups=facts.store_groups,
        service_charges=facts.service_charges * ratio,
        at=facts.at,
    )


def discounts_share(discounts: list[Discount], ratio: Decimal) -> list[Discount]:
    return [Discount(d.source, d.amount * ratio, d.line_ids) for d in discounts]


# --- the stored check -----------------------------------------------------------------


@dataclass(frozen=True)
class StoredCheck:
    """A check's row: what was sent, and what the loyalty engine did with it.

    ``outcome`` is the record of the steps done so far: ``accrued`` / ``redeemed``
    flags, the offers taken off it, the spend it earned on, the moves and the rules.
    """

    id: int
    store_code: str
    agent_name: str
    card_number: str | None
    body: dict[str, Any]
    outcome: dict[str, Any]
    stored: bool
    accrual_transaction_id: int | None
    redemption_transaction_id: int | None
    posted_at: datetime

    def refuse_repeat(self, *, accrual: bool, redemption: bool, storing: bool) -> None:
        """A check accrues once, redeems once and is stored once."""
        if accrual and self.outcome.get("accrued"):
            raise DuplicateCheck("this check has already accrued")
        if redemption and self.outcome.get("redeemed"):
            raise DuplicateCheck("rewards were already redeemed on this check")
        if storing and self.stored and not accrual and not redemption:
            raise DuplicateCheck("this check has already been posted")

    def earlier_redemptions(self) -> list[Discount]:
        """Rewards redeemed for this check by an earlier step (redeemOnly)."""
        return [
            Discount(
                o["source"],
                Decimal(o["amount"]),
                tuple(o.get("lineIds", [])),
                service_charge=bool(o.get("serviceCharge")),
            )
            for o in self.outcome.get("offers", [])
        ]

    def transaction_ids(self) -> list[int]:
        """Every transaction the check's steps wrote, in id order."""
        found = [t for t in (self.redemption_transaction_id, self.accrual_transaction_id) if t]
        found += [t for t in self.outcome.get("transactions", []) if t not in found]
        return sorted(set(found))

    def merged_outcome(self, step: Mapping[str, Any]) -> dict[str, Any]:
        """The outcome after one more step: steps of one check (redeemOnly, then
        accrual) add up, their moves and rules kept side by side."""
        merged = dict(self.outcome)
        for key, value in step.items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
        return merged


def posting_outcome(
    plan: Plan, facts: CheckFacts, earlier: list[Discount], **flags: bool
) -> dict[str, Any]:
    """What a posting step records with the check (see ``StoredCheck``)."""
    spend = (
        sum((line.amount for line in facts.lines), Decimal(0))
        - sum((o.amount for o, _, _ in plan.offers), Decimal(0))
        - sum((d.amount for d in earlier), Decimal(0))
    )
    return {
        **flags,
        "offers": [
            {
                "source": o.source,
                "amount": str(o.amount),
                "lineIds": list(o.as_discount().line_ids),
                "serviceCharge": o.kind == "SERVICE_CHARGE",
            }
            for o, _, _ in plan.offers
        ],
        "spend": str(max(spend, Decimal(0)).quantize(CENT)),
        "added": [[mv.wallet.code, str(mv.quantity)] for mv in plan.added],
        "redeemed": [[mv.wallet.code, str(mv.quantity)] for mv in plan.redeemed],
        "breakdown": [
            {
                "rule": r.rule,
                "walletCode": r.wallet,
                "quantity": str(r.quantity),
                "detail": r.detail,
            }
            for r in plan.accrual.breakdown
        ],
    }


def spend_of(outcome: Mapping[str, Any]) -> Decimal:
    """What the guest paid on a check that accrued (tiers by spend)."""
    return Decimal(str(outcome.get("spend", "0")))

"""Working a check out against an account: what it would redeem, take off and earn.

``plan_check`` is the one way a check is worked out, for the endpoints that only show
the result (compute, simulate: nothing is written but lapsed value) and for posting,
which then writes the plan (services.check_posting).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from openpxs.domain.cards import CardRef, may_auto_activate, require_active
from openpxs.domain.check_plans import CheckPlanner, Plan, RedeemAsk, applicable_rewards
from openpxs.domain.checks import PosCheck, SentCheck, check_facts, local_time
from openpxs.domain.coupons import find_coupon
from openpxs.domain.earning import AccountFacts, CheckFacts, Discount
from openpxs.domain.money import from_units
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services import coupons, price_match, standing
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class CardCheck:
    """A check sent for a card: where and when, the check, the card, and whether an
    inactive card may be activated on the way (autoActivateCard)."""

    stamp: CallStamp
    sent: SentCheck
    card: CardRef
    auto_activate: bool = False


def facts_of(
    program: Program, stamp: CallStamp, check: PosCheck
) -> tuple[CheckFacts, list[Discount]]:
    """The check's facts at the merchant's local time of the call, at the call's store."""
    return check_facts(check, program, stamp.store_code or "", local_time(program, stamp.now))


def balances_of(units: dict[int, int], program: Program) -> dict[int, Decimal]:
    return {
        code: from_units(held, program.wallets[code].scale)
        for code, held in units.items()
        if code in program.wallets
    }


async def plan_check(
    uow: UnitOfWork,
    program: Program,
    facts: CheckFacts,
    pos_discounts: Sequence[Discount],
    *,
    template_code: int | None,
    account_id: int | None,
    balances: dict[int, Decimal],
    redeem: Sequence[RedeemAsk],
    coupon_codes: Sequence[str],
    now: datetime,
    accrue_points: bool,
    convert: bool = True,
    tier_code: int | None = None,
    tier_and_visited: tuple[int | None, bool] | None = None,
) -> Plan:
    """Rewards and coupons off the check, then accrual on what is left, then the
    conversions the new balances reach. ``tier_code``: without an account, the tier the
    guest is taken to be at (an operator trying a program out). ``tier_and_visited``:
    the account's, when the caller read them already."""
    planner = CheckPlanner(program, facts, pos_discounts, balances)
    planner.redeem(redeem)
    for code in coupon_codes:
        coupon = find_coupon(program, code)
        await coupons.judge(
            uow, program, coupon, now, store_code=facts.store_code, account_id=account_id
        )
        planner.take_coupon(coupon)
    if accrue_points and template_code is not None:
        account = (
            await standing.account_facts(
                uow, program, account_id, now, tier_and_visited=tier_and_visited
            )
            if account_id is not None
            else AccountFacts(tier_code=tier_code)
        )
        planner.accrue(template_code, account, now, convert=convert)
    return planner.plan


@dataclass
class Evaluation:
    """A check worked out for a card's account, and what the reply shows beside it."""

    facts: CheckFacts
    pos_discounts: list[Discount]
    card_number: str
    template_code: int
    # None for an inactive card that posting would activate: an empty account.
    account_id: int | None
    balances: dict[int, Decimal]
    view: AccountView | None
    plan: Plan = field(default_factory=Plan)
    customer: standing.Customer = field(default_factory=standing.Customer)
    unit_discounts: list[tuple[str, str, Decimal]] = field(default_factory=list)

    async def plan_for(
        self,
        uow: UnitOfWork,
        program: Program,
        now: datetime,
        *,
        redeem: Sequence[RedeemAsk] = (),
        coupon_codes: Sequence[str] = (),
        convert: bool = True,
    ) -> None:
        self.plan = await plan_check(
            uow,
            program,
            self.facts,
            self.pos_discounts,
            template_code=self.template_code,
            account_id=self.account_id,
            balances=self.balances,
            redeem=redeem,
            coupon_codes=coupon_codes,
            now=now,
            accrue_points=True,
            convert=convert,
        )


async def _evaluation(uow: UnitOfWork, program: Program, asked: CardCheck) -> Evaluation:
    """The check and the card's account, read (and lapsed value written off) but not
    changed otherwise."""
    stamp = asked.stamp
    facts, pos_discounts = facts_of(program, stamp, asked.sent.check)
    card = await find_card(uow, program.merchant_id, asked.card, lock=True)
    if may_auto_activate(card, asked.auto_activate):
        # Would be activated by the commit: an empty account of the card's template.
        return Evaluation(facts, pos_discounts, card.number, card.template_code, None, {}, None)
    account_id = require_active(card)
    await lock_active_account(uow, program.merchant_id, account_id)
    book = await open_settled_book(uow, program, account_id, stamp)
    return Evaluation(
        facts,
        pos_discounts,
        card.number,
        card.template_code,
        account_id,
        balances_of(book.balances(), program),
        view_of(book, program, card.number, card.template_code),
    )


async def compute_point_accrual(
    uow: UnitOfWork,
    program: Program,
    asked: CardCheck,
) -> Evaluation:
    """What the check would earn, without the conversions (addRedeem does not convert)."""
    found = await _evaluation(uow, program, asked)
    await found.plan_for(uow, program, asked.stamp.now, convert=False)
    return found


async def applicable_rewards_of(
    uow: UnitOfWork,
    program: Program,
    asked: CardCheck,
) -> Evaluation:
    """Every reward unit the account holds that applies to the check, as offers."""
    found = await _evaluation(uow, program, asked)
    for got, wallet_code in applicable_rewards(
        program, found.facts, found.pos_discounts, found.balances
    ):
        found.plan.offers.append((got, wallet_code, None))
    found.customer = await standing.customer(uow, program.merchant_id, found.account_id)
    return found


async def simulate(
    uow: UnitOfWork,
    program: Program,
    asked: CardCheck,
    *,
    redeem: Sequence[RedeemAsk] | None,
    coupon_codes: Sequence[str],
    unit_items: Sequence[tuple[str, str | None]],
) -> Evaluation:
    """What committing the check now would redeem, earn and leave. Without ``redeem``
    every reward that applies is picked."""
    found = await _evaluation(uow, program, asked)
    if redeem is None:
        chosen = Counter(
            code
            for _, code in applicable_rewards(
                program, found.facts, found.pos_discounts, found.balances
            )
        )
        redeem = [RedeemAsk(code, count) for code, count in chosen.items()]
    await found.plan_for(uow, program, asked.stamp.now, redeem=redeem, coupon_codes=coupon_codes)
    found.unit_discounts = await price_match.unit_discounts(
        uow, program, asked.stamp.store_code or "", unit_items, asked.stamp.now
    )
    return found


async def simulate_coupon(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    check: PosCheck,
    coupon_code: str,
    ref: CardRef | None,
) -> Plan:
    """Whether the coupon applies to the check and what it takes off; a coupon limited
    per account is judged for the card's account."""
    facts, pos_discounts = facts_of(program, stamp, check)
    account_id = None
    if ref is not None:
        card = await find_card(uow, program.merchant_id, ref)
        account_id = card.account_id
    return await plan_check(
        uow,
        program,
        facts,
        pos_discounts,
        template_code=None,
        account_id=account_id,
        balances={},
        redeem=[],
        coupon_codes=[coupon_code],
        now=stamp.now,
        accrue_points=False,
    )

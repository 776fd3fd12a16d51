"""Pieces of the Check Service replies shared by its endpoints."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpxs.api.check import models as m
from openpxs.api.transaction.models import WalletBalance, WalletContentOut
from openpxs.domain.check_plans import Plan
from openpxs.domain.checks import StoredCheck
from openpxs.domain.earning import Accrual, Offer, plain, receipt_text
from openpxs.domain.moves import AppliedMove
from openpxs.domain.program import Program
from openpxs.services.balances import AccountView


def discounts(plan: Plan) -> dict[str, list[m.RewardDiscount]]:
    grouped: dict[str, list[m.RewardDiscount]] = {
        "itemDiscounts": [],
        "multiItemDiscounts": [],
        "subtotalDiscounts": [],
        "serviceChargeDiscounts": [],
    }
    key = {
        "ITEM": "itemDiscounts",
        "MULTI_ITEM": "multiItemDiscounts",
        "SUBTOTAL": "subtotalDiscounts",
        "SERVICE_CHARGE": "serviceChargeDiscounts",
    }
    for got, wallet_code, coupon_code in plan.offers:
        grouped[key[got.kind]].append(reward_discount(got, wallet_code, coupon_code))
    return grouped


def reward_discount(
    got: Offer, wallet_code: int | None, coupon_code: str | None
) -> m.RewardDiscount:
    return m.RewardDiscount(
        walletCode=wallet_code,
        couponCode=coupon_code,
        rewardName=got.source,
        discountAmount=str(got.amount),
        lineIds=list(got.line_ids) or None,
        quantity="1" if wallet_code is not None else None,
    )


def contents(moves: Iterable[AppliedMove]) -> list[WalletContentOut]:
    """Moves summed per wallet, in wallet order (accrual and conversion together)."""
    totals: dict[int, tuple[AppliedMove, Decimal]] = {}
    for move in moves:
        earlier = totals.get(move.wallet.code)
        totals[move.wallet.code] = (move, (earlier[1] if earlier else Decimal(0)) + move.quantity)
    return [
        WalletContentOut(walletCode=code, quantity=_scaled(q, move.wallet.scale))
        for code, (move, q) in sorted(totals.items())
    ]


def _scaled(value: Decimal, scale: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-scale))


def balances(view: AccountView) -> list[WalletBalance]:
    return [
        WalletBalance(
            walletCode=w.code,
            name=w.name,
            balance=b,
            description=w.description,
            giftable=w.giftable,
        )
        for w, b in view.balances
    ]


def balances_after(
    program: Program, template_code: int, after: dict[int, Decimal]
) -> list[WalletBalance]:
    return [
        WalletBalance(
            walletCode=w.code,
            name=w.name,
            balance=_scaled(after.get(w.code, Decimal(0)), w.scale),
            description=w.description,
            giftable=w.giftable,
        )
        for w in program.wallets_of_template(template_code)
    ]


def breakdown(accrual: Accrual) -> list[m.RuleBreakdown]:
    return [
        m.RuleBreakdown(rule=r.rule, walletCode=r.wallet, quantity=str(r.quantity), detail=r.detail)
        for r in accrual.breakdown
    ]


def receipt(program: Program, plan: Plan) -> str | None:
    names = {code: w.name for code, w in program.wallets.items()}
    lines = receipt_text(plan.accrual, names, [o for o, _, _ in plan.offers])
    for move in plan.conversions:
        lines += (
            f"\n{move.rule}: {plain(move.from_quantity)} {names.get(move.from_wallet)}"
            f" -> {plain(move.to_quantity)} {names.get(move.to_wallet)}"
        )
    return lines.strip() or None


def _recorded_contents(pairs: list[Any]) -> list[WalletContentOut]:
    """[wallet code, quantity] pairs a stored check's outcome recorded, summed per wallet."""
    totals: dict[int, Decimal] = {}
    for code, quantity in pairs:
        totals[int(code)] = totals.get(int(code), Decimal(0)) + Decimal(quantity)
    return [WalletContentOut(walletCode=c, quantity=q) for c, q in sorted(totals.items())]


def stored_check(check: StoredCheck) -> m.StoredCheck:
    done = check.outcome
    return m.StoredCheck(
        storeCode=check.store_code,
        agentName=check.agent_name or None,
        check=check.body,
        printedCardNumber=check.card_number,
        pxTransactionIds=check.transaction_ids(),
        addWalletContents=_recorded_contents(done.get("added", [])),
        redeemWalletContents=_recorded_contents(done.get("redeemed", [])),
        ruleBreakdown=[m.RuleBreakdown(**b) for b in done.get("breakdown", [])],
        postedDatetime=check.posted_at.isoformat(),
    )

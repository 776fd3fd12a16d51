"""Check Service: the endpoints that work a check out without changing anything."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from openpxs.api.check import models as m
from openpxs.api.check.facts import check_facts, check_where
from openpxs.api.check.replies import (
    balances,
    balances_after,
    breakdown,
    contents,
    discounts,
    receipt,
)
from openpxs.api.check.service import B2B, CHECK
from openpxs.api.transaction.models import HeaderInfo
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.earning import CheckFacts, Discount
from openpxs.domain.errors import CardNotActive
from openpxs.domain.program import Program
from openpxs.services import checks
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.store.tables import accounts
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

EVALUATE_ERRORS = (
    "check.invalid_request",
    "check.invalid_merchant",
    "check.invalid_store",
    "check.card_not_found",
    "check.card_not_active",
    "check.system_error",
)


@dataclass
class Situation:
    """A check and the account it is evaluated for, read but not changed."""

    program: Program
    facts: CheckFacts
    pos_discounts: list[Discount]
    card_number: str
    template_code: int
    account_id: int | None
    balances: dict[int, Decimal]
    view: AccountView | None


async def situation(ctx: CallContext, req: m.CardCheckRequest) -> Situation:
    program = ctx.program
    facts, pos_discounts = check_facts(
        req.check, program, req.storeCode, checks.local_time(program, ctx.now)
    )
    card = await find_card(ctx.uow, ctx.merchant_id, card_ref(req.cardInfo), lock=True)
    if card.status == "inactive" and req.autoActivateCard:
        # Would be activated by the commit: an empty account of the card's template.
        return Situation(
            program, facts, pos_discounts, card.number, card.template_code, None, {}, None
        )
    if card.status != "active" or card.account_id is None:
        raise CardNotActive()
    await lock_active_account(ctx.uow, ctx.merchant_id, card.account_id)
    where = check_where(ctx.merchant_id, ctx.integration.id, req, req.check, ctx.now)
    book = await open_settled_book(ctx.uow, program, card.account_id, where)
    return Situation(
        program,
        facts,
        pos_discounts,
        card.number,
        card.template_code,
        card.account_id,
        checks.balances_of(book, program),
        view_of(book, program, card.number, card.template_code),
    )


async def customer(ctx: CallContext, account_id: int | None) -> tuple[str | None, int | None]:
    """(customer name, tier code) of an account, for the POS screen."""
    if account_id is None:
        return None, None
    tier = (
        await ctx.uow.conn.execute(
            select(accounts.c.tier_code).where(
                accounts.c.merchant_id == ctx.merchant_id, accounts.c.id == account_id
            )
        )
    ).scalar()
    return await customer_name(ctx, account_id), tier


async def customer_name(ctx: CallContext, account_id: int) -> str | None:
    user = await ctx.uow.users.of_account(ctx.merchant_id, account_id)
    if user is None:
        return None
    parts = [user.fields.get("firstName"), user.fields.get("lastName")]
    return " ".join(str(p) for p in parts if p) or None


@endpoint(
    CHECK,
    "computePointAccrual",
    request=m.CardCheckRequest,
    reply=m.ComputePointAccrualReply,
    styles=B2B,
    summary="The transaction/addRedeem.json request that would credit a check's points",
    errors=EVALUATE_ERRORS,
)
async def compute_point_accrual(
    ctx: CallContext, req: m.CardCheckRequest
) -> m.ComputePointAccrualReply:
    """Nothing changes. The reply's addRedeemRequest can be sent as it is."""
    s = await situation(ctx, req)
    plan = await checks.plan_check(
        ctx.uow,
        s.program,
        s.facts,
        s.pos_discounts,
        template_code=s.template_code,
        account_id=s.account_id,
        balances=s.balances,
        redeem=[],
        coupon_codes=[],
        now=ctx.now,
        accrue_points=True,
        convert=False,
    )
    header = HeaderInfo(
        merchantId=ctx.merchant_id,
        storeCode=req.storeCode,
        operatorId=req.operator or "0",
        senderId="POS",
        programId="LP",
        terminalId=req.terminal,
        posTransactionId=req.check.number,
    )
    return m.ComputePointAccrualReply(
        addRedeemRequest=m.AddRedeemRequestOut(
            headerInfo=header,
            cardInfo={"printedCardNumber": s.card_number},
            addWalletContents=contents(plan.added),
            redeemWalletContents=[],
        ),
        receiptText=receipt(s.program, plan),
    )


@endpoint(
    CHECK,
    "computeApplicableRewards",
    request=m.ApplicableRewardsRequest,
    reply=m.ApplicableRewardsReply,
    styles=B2B,
    summary="The discounts the guest's rewards would give on the open check",
    errors=EVALUATE_ERRORS,
)
async def compute_applicable_rewards(
    ctx: CallContext, req: m.ApplicableRewardsRequest
) -> m.ApplicableRewardsReply:
    """Every reward the account holds that applies to this check, each unit as the
    discount it would give (as many units as the account holds and the reward allows
    per check). Rewards whose conditions the check does not meet are left out."""
    s = await situation(ctx, req)
    plan = checks.Plan()
    for got, wallet_code in checks.applicable_rewards(
        s.program, s.facts, s.pos_discounts, s.balances
    ):
        plan.offers.append((got, wallet_code, None))
    name, tier = await customer(ctx, s.account_id)
    return m.ApplicableRewardsReply(
        printedCardNumber=s.card_number,
        customerName=name,
        tierCode=tier,
        walletBalances=balances(s.view)
        if s.view
        else balances_after(s.program, s.template_code, {}),
        receiptText=receipt(s.program, plan),
        **discounts(plan),
    )


@endpoint(
    CHECK,
    "simulateAccrualAndRedemption",
    request=m.SimulateRequest,
    reply=m.SimulateReply,
    styles=B2B,
    summary="What committing the check now would redeem, earn and leave",
    errors=(*EVALUATE_ERRORS, "check.reward_not_available", "check.insufficient_balance"),
)
async def simulate_accrual_and_redemption(
    ctx: CallContext, req: m.SimulateRequest
) -> m.SimulateReply:
    """Nothing changes. Without redeemWalletContents the server picks every reward that
    applies, as computeApplicableRewards would."""
    s = await situation(ctx, req)
    if req.redeemWalletContents is None:
        chosen = Counter(
            code
            for _, code in checks.applicable_rewards(
                s.program, s.facts, s.pos_discounts, s.balances
            )
        )
        asks = [checks.RedeemAsk(code, count) for code, count in chosen.items()]
    else:
        asks = [checks.RedeemAsk(c.walletCode, c.quantity) for c in req.redeemWalletContents]
    plan = await checks.plan_check(
        ctx.uow,
        s.program,
        s.facts,
        s.pos_discounts,
        template_code=s.template_code,
        account_id=s.account_id,
        balances=s.balances,
        redeem=asks,
        coupon_codes=list(req.couponCodes),
        now=ctx.now,
        accrue_points=True,
    )
    unit_discounts = await checks.potential_unit_discounts(
        ctx.uow,
        s.program,
        req.storeCode,
        [(i.itemId, i.name) for i in req.potentialUnitDiscountItems],
        ctx.now,
    )
    return m.SimulateReply(
        potentialUnitDiscounts=[
            m.RewardDiscount(rewardName=name, discountAmount=str(amount), lineIds=[item])
            for item, name, amount in unit_discounts
        ],
        pointsToAccrue=contents(plan.added),
        walletBalances=balances_after(s.program, s.template_code, plan.balances_after),
        ruleBreakdown=breakdown(plan.accrual),
        receiptText=receipt(s.program, plan),
        **discounts(plan),
    )


@endpoint(
    CHECK,
    "simulateCoupon",
    request=m.SimulateCouponRequest,
    reply=m.SimulateReply,
    styles=B2B,
    summary="Whether a coupon code applies to the check, and the discount it gives",
    errors=(
        "check.invalid_request",
        "check.invalid_coupon",
        "check.coupon_not_applicable",
        "check.system_error",
    ),
)
async def simulate_coupon(ctx: CallContext, req: m.SimulateCouponRequest) -> m.SimulateReply:
    """Nothing changes; the use is recorded when the check is committed. A coupon limited
    per account needs the cardInfo."""
    program = ctx.program
    facts, pos_discounts = check_facts(
        req.check, program, req.storeCode, checks.local_time(program, ctx.now)
    )
    account_id = None
    if req.cardInfo is not None:
        card = await find_card(ctx.uow, ctx.merchant_id, card_ref(req.cardInfo))
        account_id = card.account_id
    plan = await checks.plan_check(
        ctx.uow,
        program,
        facts,
        pos_discounts,
        template_code=None,
        account_id=account_id,
        balances={},
        redeem=[],
        coupon_codes=[req.couponCode],
        now=ctx.now,
        accrue_points=False,
    )
    return m.SimulateReply(receiptText=receipt(program, plan), **discounts(plan))

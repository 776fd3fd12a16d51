"""Check Service: posting checks, which redeems, accrues and stores them.

Each value-moving call writes one ledger transaction of kind ``check`` per card (its
pxTransactionId is what transaction/reverse.json undoes). A check is keyed by store,
agentName, number and business date: it accrues once, redeems once and is stored once;
a repeat is refused with check.duplicate_check and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpxs.api.check import models as m
from openpxs.api.check.evaluate import customer_name
from openpxs.api.check.facts import check_facts, check_where
from openpxs.api.check.replies import balances, breakdown, contents, receipt
from openpxs.api.check.service import B2B, CHECK
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.earning import CENT, CheckFacts, Discount, Line
from openpxs.domain.errors import AmountsExceedCheckTotal, InvalidRequest
from openpxs.domain.program import Program
from openpxs.services import checks
from openpxs.services.balances import view_of
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

COMMIT_ERRORS = (
    "check.invalid_request",
    "check.invalid_merchant",
    "check.invalid_store",
    "check.card_not_found",
    "check.card_not_active",
    "check.duplicate_check",
    "check.check_storage_error",
    "check.system_error",
)
REDEEM_ERRORS = ("check.reward_not_available", "check.insufficient_balance", "check.invalid_coupon")


def check_key(req: m.CheckRequest, check: m.Check) -> checks.CheckKey:
    return checks.CheckKey(
        store_code=req.storeCode,
        agent_name=req.agentName or "",
        number=check.number,
        business_date=check.businessDate.isoformat() if check.businessDate else "",
    )


def stored_body(check: m.Check) -> dict[str, Any]:
    return check.model_dump(mode="json", exclude_none=True)


def outcome(
    plan: checks.Plan, facts: CheckFacts, earlier: list[Discount], **flags: bool
) -> dict[str, Any]:
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


def earlier_redemptions(row: Any) -> list[Discount]:
    return [
        Discount(
            o["source"],
            Decimal(o["amount"]),
            tuple(o.get("lineIds", [])),
            service_charge=bool(o.get("serviceCharge")),
        )
        for o in (row.outcome or {}).get("offers", [])
    ]


async def commit(
    ctx: CallContext,
    req: m.CardCheckRequest,
    *,
    redeem: list[checks.RedeemAsk],
    coupon_codes: list[str],
    accrue: bool,
    store: bool,
) -> m.PostAndAccrueReply:
    program = ctx.program
    facts, pos_discounts = check_facts(
        req.check, program, req.storeCode, checks.local_time(program, ctx.now)
    )
    row = await checks.claim_check(
        ctx.uow, ctx.merchant_id, check_key(req, req.check), stored_body(req.check), ctx.now
    )
    redeeming = bool(redeem or coupon_codes)
    checks.refuse_repeat(row, accrual=accrue, redemption=redeeming, storing=store)
    earlier = earlier_redemptions(row) if accrue and not redeeming else []
    # Rewards redeemed for this check earlier (redeemOnly) came off it: accrual must
    # not count the part they paid for.
    pos_discounts = pos_discounts + earlier
    where = check_where(ctx.merchant_id, ctx.integration.id, req, req.check, ctx.now)
    card, account_id, book = await checks.open_card_account(
        ctx.uow, program, where, card_ref(req.cardInfo), auto_activate=req.autoActivateCard
    )
    plan = await checks.plan_check(
        ctx.uow,
        program,
        facts,
        pos_discounts,
        template_code=card.template_code,
        account_id=account_id,
        balances=checks.balances_of(book, program),
        redeem=redeem,
        coupon_codes=coupon_codes,
        now=ctx.now,
        accrue_points=accrue,
    )
    txn = await checks.write_plan(ctx.uow, program, where, card, account_id, book, plan)
    tier = await checks.update_tier(ctx.uow, program, account_id, ctx.now)
    flags = {}
    if accrue:
        flags["accrued"] = True
    if redeeming:
        flags["redeemed"] = True
    await checks.record_check(
        ctx.uow,
        row,
        body=stored_body(req.check),
        stored=store,
        card_number=card.number,
        account_id=account_id,
        accrual_txn=txn if accrue else None,
        redemption_txn=txn if redeeming else None,
        outcome=outcome(plan, facts, earlier, **flags),
    )
    # The tier was just re-evaluated: only the name is still to read.
    name = await customer_name(ctx, account_id)
    return m.PostAndAccrueReply(
        pxTransactionId=txn,
        printedCardNumber=card.number,
        customerName=name,
        tierCode=tier,
        addWalletContents=contents(plan.added),
        redeemWalletContents=contents(plan.redeemed),
        walletBalances=balances(view_of(book, program, card.number, card.template_code)),
        ruleBreakdown=breakdown(plan.accrual),
        receiptText=receipt(program, plan),
    )


@endpoint(
    CHECK,
    "postAndAccruePointsWithRedeem",
    request=m.PostWithRedeemRequest,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Commit a paid check: redeem its rewards and coupons, accrue, store it",
    errors=(*COMMIT_ERRORS, *REDEEM_ERRORS),
    moves_value=True,
)
async def post_and_accrue_points_with_redeem(
    ctx: CallContext, req: m.PostWithRedeemRequest
) -> m.PostAndAccrueReply:
    """One transaction: the rewards in redeemWalletContents come off the check (refused
    if any no longer applies), coupon uses are recorded, the rest of the check earns,
    and points that reach a conversion threshold become rewards."""
    return await commit(
        ctx,
        req,
        redeem=[checks.RedeemAsk(c.walletCode, c.quantity) for c in req.redeemWalletContents],
        coupon_codes=list(req.couponCodes),
        accrue=True,
        store=True,
    )


@endpoint(
    CHECK,
    "postAndAccruePoints",
    request=m.PostRequest,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Credit a check's points to the card and store the check",
    errors=COMMIT_ERRORS,
    moves_value=True,
)
async def post_and_accrue_points(ctx: CallContext, req: m.PostRequest) -> m.PostAndAccrueReply:
    """computePointAccrual, addRedeem and post in one step; nothing is redeemed."""
    return await commit(ctx, req, redeem=[], coupon_codes=[], accrue=True, store=True)


@endpoint(
    CHECK,
    "redeemOnly",
    request=m.RedeemOnlyRequest,
    reply=m.PostAndAccrueReply,
    styles=B2B,
    summary="Redeem rewards for a check without accruing or storing it",
    errors=(*COMMIT_ERRORS, *REDEEM_ERRORS),
    moves_value=True,
)
async def redeem_only(ctx: CallContext, req: m.RedeemOnlyRequest) -> m.PostAndAccrueReply:
    """Accrual may follow with postAndAccruePoints on the same check."""
    return await commit(
        ctx,
        req,
        redeem=[checks.RedeemAsk(c.walletCode, c.quantity) for c in req.redeemWalletContents],
        coupon_codes=[],
        accrue=False,
        store=False,
    )


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


@endpoint(
    CHECK,
    "multiPostAndAccruePoints",
    request=m.MultiPostRequest,
    reply=m.MultiPostAndAccrueReply,
    styles=B2B,
    summary="A split check: each card earns on the part it paid",
    errors=(*COMMIT_ERRORS, "check.amounts_exceed_check_total"),
    moves_value=True,
)
async def multi_post_and_accrue_points(
    ctx: CallContext, req: m.MultiPostRequest
) -> m.MultiPostAndAccrueReply:
    """Each card earns on the check scaled by amountPaid / total; one transaction per
    card, all or none. The cards' amounts may not add up to more than the total."""
    program: Program = ctx.program
    facts, pos_discounts = check_facts(
        req.check, program, req.storeCode, checks.local_time(program, ctx.now)
    )
    check = req.check
    total = (
        check.total
        if check.total is not None
        else check.subtotal + check.serviceCharges + check.tax
    )
    paid = sum((c.amountPaid for c in req.cardAmounts), Decimal(0))
    if paid > total:
        raise AmountsExceedCheckTotal(f"the cards paid {paid} of a check of {total}")
    numbers = [c.cardInfo.printedCardNumber for c in req.cardAmounts]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("a card appears twice in cardAmounts")
    row = await checks.claim_check(
        ctx.uow, ctx.merchant_id, check_key(req, check), stored_body(check), ctx.now
    )
    checks.refuse_repeat(row, accrual=True, redemption=False, storing=True)
    where = check_where(ctx.merchant_id, ctx.integration.id, req, check, ctx.now)
    results = []
    txns = []
    accounts_seen: set[int] = set()
    # Cards are locked in the order given; two splits of one check are kept apart by
    # the check's own row lock, taken first.
    for part in req.cardAmounts:
        ratio = part.amountPaid / total if total > 0 else Decimal(0)
        card, account_id, book = await checks.open_card_account(
            ctx.uow, program, where, card_ref(part.cardInfo), auto_activate=req.autoActivateCard
        )
        if account_id in accounts_seen:
            raise InvalidRequest("two cards in cardAmounts belong to the same account")
        accounts_seen.add(account_id)
        plan = await checks.plan_check(
            ctx.uow,
            program,
            share_of(facts, ratio),
            [Discount(d.source, d.amount * ratio, d.line_ids) for d in pos_discounts],
            template_code=card.template_code,
            account_id=account_id,
            balances=checks.balances_of(book, program),
            redeem=[],
            coupon_codes=[],
            now=ctx.now,
            accrue_points=True,
        )
        txn = await checks.write_plan(ctx.uow, program, where, card, account_id, book, plan)
        await checks.update_tier(ctx.uow, program, account_id, ctx.now)
        if txn is not None:
            txns.append(txn)
        results.append(
            m.CardAccrualResult(
                printedCardNumber=card.number,
                pxTransactionId=txn,
                addWalletContents=contents(plan.added),
            )
        )
    await checks.record_check(
        ctx.uow,
        row,
        body=stored_body(check),
        stored=True,
        card_number=None,
        account_id=None,
        accrual_txn=txns[0] if txns else None,
        outcome={"accrued": True, "split": True, "transactions": txns},
    )
    return m.MultiPostAndAccrueReply(cardResults=results)


@endpoint(
    CHECK,
    "post",
    request=m.StoreCheckRequest,
    reply=m.SimpleReply,
    styles=B2B,
    summary="Store a check for troubleshooting and analytics; no balances move",
    errors=(
        "check.invalid_request",
        "check.invalid_merchant",
        "check.invalid_store",
        "check.duplicate_check",
        "check.check_storage_error",
        "check.system_error",
    ),
)
async def post(ctx: CallContext, req: m.StoreCheckRequest) -> m.SimpleReply:
    program = ctx.program
    check_facts(req.check, program, req.storeCode, None)
    row = await checks.claim_check(
        ctx.uow, ctx.merchant_id, check_key(req, req.check), stored_body(req.check), ctx.now
    )
    checks.refuse_repeat(row, accrual=False, redemption=False, storing=True)
    await checks.record_check(
        ctx.uow, row, body=stored_body(req.check), stored=True, card_number=None, account_id=None
    )
    return m.SimpleReply()

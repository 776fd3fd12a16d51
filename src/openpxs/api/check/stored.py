"""Check Service: reading back a stored check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from openpxs.api.check import models as m
from openpxs.api.check.service import B2B, CHECK
from openpxs.api.transaction.models import WalletContentOut
from openpxs.domain.errors import CheckNotFound
from openpxs.store.tables import checks
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _contents(pairs: list[Any]) -> list[WalletContentOut]:
    totals: dict[int, Decimal] = {}
    for code, quantity in pairs:
        totals[int(code)] = totals.get(int(code), Decimal(0)) + Decimal(quantity)
    return [WalletContentOut(walletCode=c, quantity=q) for c, q in sorted(totals.items())]


@endpoint(
    CHECK,
    "check",
    method="GET",
    request=m.GetCheckRequest,
    reply=m.GetCheckReply,
    styles=B2B,
    summary="A stored check with the loyalty outcome recorded for it",
    errors=("check.invalid_request", "check.check_not_found", "check.system_error"),
)
async def get_check(ctx: CallContext, req: m.GetCheckRequest) -> m.GetCheckReply:
    """Found by store, check number and (optional) business date and agentName; the
    newest one when these match several."""
    stmt = select(checks).where(
        checks.c.merchant_id == ctx.merchant_id,
        checks.c.store_code == req.storeCode,
        checks.c.check_number == req.checkNumber,
    )
    if req.businessDate is not None:
        stmt = stmt.where(checks.c.business_date == date.isoformat(req.businessDate))
    if req.agentName is not None:
        stmt = stmt.where(checks.c.agent_name == req.agentName)
    row = (await ctx.uow.conn.execute(stmt.order_by(checks.c.id.desc()).limit(1))).first()
    if row is None:
        raise CheckNotFound()
    done = row.outcome or {}
    txns = [t for t in (row.redemption_transaction_id, row.accrual_transaction_id) if t]
    txns += [t for t in done.get("transactions", []) if t not in txns]
    return m.GetCheckReply(
        storedCheck=m.StoredCheck(
            storeCode=row.store_code,
            agentName=row.agent_name or None,
            check=row.body,
            printedCardNumber=row.card_number,
            pxTransactionIds=sorted(set(txns)),
            addWalletContents=_contents(done.get("added", [])),
            redeemWalletContents=_contents(done.get("redeemed", [])),
            ruleBreakdown=[m.RuleBreakdown(**b) for b in done.get("breakdown", [])],
            postedDatetime=row.posted_at.isoformat(),
        )
    )

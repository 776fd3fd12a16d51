"""From the Check Service's request objects to what its use cases take."""

from __future__ import annotations

from typing import Any

from openpxs.api.check import models as m
from openpxs.api.transaction.models import WalletContent
from openpxs.api.transaction.replies import card_ref
from openpxs.domain.check_plans import RedeemAsk
from openpxs.domain.checks import CheckKey, SentCheck
from openpxs.domain.stamp import CallStamp
from openpxs.services.check_evaluation import CardCheck
from openpxs.wire.context import CallContext


def sent_check(req: m.CheckRequest, check: m.Check) -> SentCheck:
    """The check under its key, with the body it is stored with (as sent)."""
    key = CheckKey(
        store_code=req.storeCode,
        agent_name=req.agentName or "",
        number=check.number,
        business_date=check.businessDate.isoformat() if check.businessDate else "",
    )
    body: dict[str, Any] = check.model_dump(mode="json", exclude_none=True)
    return SentCheck(key, check.pos_check(), body)


def stamp_of(ctx: CallContext, req: m.CheckRequest, check: m.Check | None) -> CallStamp:
    """Where and by whom: the request's store, terminal and operator, the check's
    number and close time."""
    return CallStamp(
        merchant_id=ctx.merchant_id,
        store_code=req.storeCode,
        terminal_id=req.terminal,
        operator_id=req.operator,
        pos_transaction_id=check.number if check is not None else None,
        pos_datetime=check.closeTime if check is not None else None,
        integration_id=ctx.integration.id,
        now=ctx.now,
    )


def card_check(ctx: CallContext, req: m.CardCheckRequest) -> CardCheck:
    return CardCheck(
        stamp_of(ctx, req, req.check),
        sent_check(req, req.check),
        card_ref(req.cardInfo),
        req.autoActivateCard,
    )


def redeem_asks(contents: list[WalletContent]) -> list[RedeemAsk]:
    """The rewards asked for (redeemWalletContents), quantities as sent."""
    return [RedeemAsk(c.walletCode, c.quantity) for c in contents]

"""Turning a Check as the POS sends it into the facts the rules engine reads.

The check must add up: the item prices (with their modifiers) less the check's
discounts make the subtotal, and subtotal, service charges and tax make the total when
one is given. Discounts the POS took for Paytronix rewards (those with a walletCode) are
left to the server, which works them out itself from redeemWalletContents, so they are
never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from openpxs.api.check import models as m
from openpxs.domain.earning import CENT, CheckFacts, Discount, Line
from openpxs.domain.errors import InvalidRequest
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp


def _lines(items: list[m.CheckItem], prefix: str = "") -> Iterator[Line]:
    for i, item in enumerate(items, start=1):
        line_id = item.lineId or f"{prefix}{i}"
        yield Line(
            line_id=line_id,
            item_id=item.itemId,
            categories=frozenset(c.categoryId for c in item.categories),
            quantity=item.quantity,
            amount=item.price,
        )
        yield from _lines(item.modifiers, f"{line_id}.")


def check_facts(
    check: m.Check, program: Program, store_code: str, at: datetime | None
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
        expected = check.subtotal + check.serviceCharges + check.tax
        if expected.quantize(CENT) != check.total.quantize(CENT):
            raise InvalidRequest(
                f"the check does not add up: subtotal, service charges and tax make "
                f"{expected}, not the total {check.total}"
            )
    pos_discounts = []
    for d in check.discounts:
        if d.lineId is not None and d.lineId not in ids:
            raise InvalidRequest(f"a discount names line {d.lineId!r}, which is not on the check")
        if d.walletCode is None:
            pos_discounts.append(
                Discount(d.name or "discount", d.amount, (d.lineId,) if d.lineId else ())
            )
    non_loyalty = sum((d.amount for d in pos_discounts), Decimal(0))
    facts = CheckFacts(
        lines=tuple(lines),
        subtotal=gross - non_loyalty,
        store_code=store_code,
        store_groups=store.groups,
        service_charges=check.serviceCharges,
        at=at,
    )
    return facts, pos_discounts


def check_where(
    ctx_merchant: int,
    integration_id: int,
    req: m.CheckRequest,
    check: m.Check | None,
    now: datetime,
) -> CallStamp:
    return CallStamp(
        merchant_id=ctx_merchant,
        store_code=req.storeCode,
        terminal_id=req.terminal,
        operator_id=req.operator,
        pos_transaction_id=check.number if check is not None else None,
        pos_datetime=check.closeTime if check is not None else None,
        integration_id=integration_id,
        now=now,
    )

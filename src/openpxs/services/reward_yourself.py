"""Reward Yourself: a signed-in guest buys eGift value with the points of their account.

The order is priced and checked as any sale (``sales.check_order``), its money total
turned into points at the program's rate (``domain.sale_pricing.points_for``), and then,
in one unit of work: the order recorded under the call's key, the points taken off the
purchaser's points wallet and the cards issued and loaded (or the value added to the
purchaser's own card) as one ledger transaction, and the delivery e-mails queued. A
short points balance refuses it all; nothing is charged to a card. A retry with the
same key finds the order recorded and answers it again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.money import from_units, to_units
from openpxs.domain.moves import AppliedMove
from openpxs.domain.program import WalletDef
from openpxs.domain.sale_pricing import SaleLine, SaleSummary, points_for, price_items
from openpxs.services.books import read_book
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.services.sale_fulfilment import issue_order
from openpxs.services.sales import (
    SaleRequest,
    buying_account,
    check_order,
    new_order,
    order_key,
    sale_program,
)
from openpxs.store.repositories.sale_orders import SaleOrder


@dataclass(frozen=True)
class PointsQuote:
    """What items cost in points, next to what the account holds."""

    points_required: Decimal
    points_balance: Decimal
    wallet_code: int


@dataclass(frozen=True)
class BoughtWithPoints:
    # The order as recorded by the first call with the key (a retry answers it), and
    # the points it was paid with (None when that first order was paid by card).
    order: SaleOrder
    points: Decimal | None


def points_wallet(call: Call, program: SaleProgramConfig) -> WalletDef:
    assert program.points_wallet is not None
    return call.program.wallets[program.points_wallet]


def points_price(call: Call, program: SaleProgramConfig, summary: SaleSummary) -> Decimal:
    """The points the priced order costs, at the points wallet's decimals."""
    wallet = points_wallet(call, program)
    return points_for(program, summary.total, wallet.scale)


async def quote(call: Call, card_number: str | None, lines: list[SaleLine]) -> PointsQuote:
    """calculateRewardYourselfPoints: the items priced (no shipping: a Reward Yourself
    program ships free) and turned into points, and the account's spendable points."""
    account = await buying_account(call, card_number)
    program = sale_program(call, "REWARD_YOURSELF", account.template_code)
    summary = price_items(program, lines)
    if summary.total <= 0:
        raise Refused(Reason.AMOUNT_OUT_OF_RANGE, "the items' value must be above zero")
    wallet = points_wallet(call, program)
    book = await read_book(call.uow, call.program, account.account_id)
    held = book.wallet(wallet.code).spendable_units(call.now)
    return PointsQuote(
        points_for(program, summary.total, wallet.scale),
        from_units(held, wallet.scale),
        wallet.code,
    )


async def buy_with_points(
    call: Call,
    units: Units,
    program: SaleProgramConfig,
    req: SaleRequest,
    *,
    account_card: str,
    retry_key: str | None,
) -> BoughtWithPoints:
    """Check, record and fulfil the order, paid with points (see the module)."""
    if req.method is not None:
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "a REWARD_YOURSELF order is paid with points")
    async with units() as uow:
        scoped = replace(call, uow=uow)
        account = await buying_account(scoped, account_card)
        key = order_key(call, retry_key, account)
        checked = await check_order(scoped, program, req, account)
        points = points_price(scoped, program, checked.summary)
        order, fresh = await uow.sale_orders.record(
            new_order(scoped, program, req, checked, key, total_points_units=to_units(points)),
            call.now,
        )
        if fresh:
            wallet = points_wallet(scoped, program)
            stamp = call.online_stamp(program.store)
            await issue_order(
                call.program,
                program,
                stamp,
                order,
                uow,
                spend=AppliedMove(wallet, points),
            )
            done = await uow.sale_orders.by_key(call.merchant_id, key)
            assert done is not None
            order = done
    paid = order.total_points_units
    scale = points_wallet(call, program).scale
    return BoughtWithPoints(order, from_units(paid, scale) if paid is not None else None)

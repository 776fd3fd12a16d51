"""Fulfilling a paid web store order, in the unit of work that marks its payment
attempt credited: all of it, or none of it.

- eGift: one new virtual card per unit, activated on an account of its own and loaded
  with the unit's face value, all as one ``sale`` transaction; an item a signed-in
  purchaser keeps (no recipient) is loaded onto the purchaser's own account instead.
  Each new card is e-mailed (number and registration code, with which the recipient
  adds it to their account: guest/attachCard) to its recipient, or to the purchaser,
  on the delivery day chosen, through the outbox.
- Reward Yourself: as eGift, in the same ledger transaction as the purchaser's points
  paying for it (``issue_order``'s ``spend``): a short points balance refuses the whole.
- Loyalty cards: one new card per unit is reserved (issued, not active) and its number
  and registration code sent to the purchaser; the guest activates it by registering.
Mailed items are issued the same way; the order keeps the shipping address for whoever
posts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.clock import end_of_day
from openpxs.domain.moves import AppliedMove, Move, apply_moves, check_moves
from openpxs.domain.program import PROGRAM_CODES_ALL, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.messaging.outbox import enqueue
from openpxs.services import webhooks
from openpxs.services.activation import load_new_cards
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.services.new_accounts import new_registration_code, new_virtual_card
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.store.repositories.sale_orders import SaleOrder
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class _Unit:
    """One card of the order: its face value, who receives it and when."""

    amount: Decimal
    design_code: str | None
    recipient: dict[str, Any] | None
    number: str = ""
    code: str = ""


def _units(order: SaleOrder) -> list[_Unit]:
    return [
        _Unit(Decimal(line["amount"]), line.get("designCode"), line.get("recipient"))
        for line in order.lines
        for _ in range(int(line["quantity"]))
    ]


# Programs whose cards are loaded with their face value.
LOADED = ("EGIFT", "REWARD_YOURSELF")


async def fulfil_order(
    program: Program,
    sale: SaleProgramConfig,
    stamp: CallStamp,
    order: SaleOrder,
    uow: UnitOfWork,
    attempt: PaymentAttempt,
) -> int | None:
    """Issue, load and send the order's paid cards (see the module); the ledger
    transaction."""
    return await issue_order(program, sale, stamp, order, uow)


async def issue_order(
    program: Program,
    sale: SaleProgramConfig,
    stamp: CallStamp,
    order: SaleOrder,
    uow: UnitOfWork,
    *,
    spend: AppliedMove | None = None,
) -> int | None:
    """Issue, load and send the order's cards, taking ``spend`` (the points paying for
    them) off the purchaser's account in the same ledger transaction."""
    # Loaded items a signed-in purchaser keeps go onto the purchaser's own account.
    keeps = order.account_id is not None and sale.type in LOADED
    own = [u for u in _units(order) if keeps and u.recipient is None]
    issued = []
    for unit in _units(order):
        if keeps and unit.recipient is None:
            continue
        code = new_registration_code()
        number = await new_virtual_card(uow, program, sale.card_template, registration_code=code)
        issued.append(_Unit(unit.amount, unit.design_code, unit.recipient, number, code))
    txn = None
    if sale.type in LOADED:
        txn = await _load(uow, program, sale, stamp, order, issued, own, spend)
    for unit in issued:
        await _send(uow, program, sale, stamp.now, order, unit)
    await uow.sale_orders.fulfil(order, txn, [u.number for u in issued], stamp.now)
    return txn


async def _load(
    uow: UnitOfWork,
    program: Program,
    sale: SaleProgramConfig,
    stamp: CallStamp,
    order: SaleOrder,
    issued: list[_Unit],
    own: list[_Unit],
    spend: AppliedMove | None,
) -> int:
    assert sale.wallet is not None
    purchaser = own or spend is not None
    txn = await uow.transactions.record(
        stamp,
        Kind.SALE,
        account_id=order.account_id if purchaser else None,
        card_number=issued[0].number if issued else None,
        comment=f"sale order {order.order_number}",
    )
    if issued:
        found = await uow.cards.find_many(
            program.merchant_id, [u.number for u in issued], lock=True
        )
        loads = [
            (
                found[u.number],
                check_moves(
                    program,
                    sale.card_template,
                    PROGRAM_CODES_ALL,
                    [Move(sale.wallet, u.amount)],
                    stamp.now,
                ),
            )
            for u in issued
        ]
        await load_new_cards(uow, program, stamp, txn, loads)
    if purchaser:
        assert order.account_id is not None
        await lock_active_account(uow, program.merchant_id, order.account_id)
        account = await uow.accounts.get(program.merchant_id, order.account_id)
        assert account is not None
        added = (
            check_moves(
                program,
                account.template_code,
                PROGRAM_CODES_ALL,
                [Move(sale.wallet, sum((u.amount for u in own), start=Decimal(0)))],
                stamp.now,
            )
            if own
            else []
        )
        book = await open_settled_book(uow, program, order.account_id, stamp)
        apply_moves(book, program, added, [spend] if spend else [], stamp.now)
        await uow.ledger.write([book], txn, stamp.now)
    await webhooks.announce_value_moves(uow, program, stamp.now)
    return txn


def _due(day: str | None, timezone: str) -> datetime | None:
    """The start of the delivery day in the merchant's zone (None: at once)."""
    if not day:
        return None
    return end_of_day(date.fromisoformat(day) - timedelta(days=1), timezone)


async def _send(
    uow: UnitOfWork,
    program: Program,
    sale: SaleProgramConfig,
    now: datetime,
    order: SaleOrder,
    unit: _Unit,
) -> None:
    recipient = unit.recipient or {}
    purchaser = order.purchaser
    to = recipient.get("email") or purchaser.get("email")
    if not to:
        return  # a mailed card of a purchaser without an address: posted, not e-mailed
    sender = " ".join(p for p in (purchaser.get("firstName"), purchaser.get("lastName")) if p)
    design = next((d.name for d in sale.designs if d.code == unit.design_code), None)
    name = recipient.get("firstName") or purchaser.get("firstName")
    lines = [
        f"Hello {name}," if name else "Hello,",
        "",
        (
            f"{sender or 'Someone'} sent you a {program.name} {sale.name} of ${unit.amount}."
            if unit.recipient
            else f"Here is your {program.name} {sale.name}"
            + (f" of ${unit.amount}." if sale.type in LOADED else ".")
        ),
    ]
    if design:
        lines.append(f"Design: {design}")
    if recipient.get("message"):
        lines += ["", str(recipient["message"])]
    lines += [
        "",
        f"Card number: {unit.number}",
        f"Registration code: {unit.code}",
        f"Order: {order.order_number}",
    ]
    if sale.email.claim_link:
        lines += [
            "",
            "Add the card to your account: "
            + sale.email.claim_link.format(merchant=program.merchant_id),
        ]
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="email",
        recipient=to,
        subject=sale.email.subject,
        body="\n".join(lines) + "\n",
        now=now,
        due_at=_due(recipient.get("deliveryDate"), program.timezone),
    )

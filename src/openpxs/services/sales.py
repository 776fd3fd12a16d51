"""The web store (sale/*): which sale program a guest may use, pricing an order, and
the sale itself.

A sale is checked completely before anything is written: the program, every item
(design, face value, quantity), the shipping method and address, the recipients, the
purchaser and the payment method, and the total against the one the guest was shown.
The order is then recorded under the call's key, and its total charged and its cards
issued as one payment attempt (``card_payments.charge_and_fulfil`` with the order's own
fulfilment, ``services.sale_fulfilment``): charge first; only after approval are the
cards issued, activated and loaded and their e-mails queued, all in one unit of work;
if that fails, the charge is voided or refunded before the reply.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from functools import partial

from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.clock import local_date
from openpxs.domain.errors import CardNotFound, Reason, Refused
from openpxs.domain.fields import is_email
from openpxs.domain.money import from_units, to_units
from openpxs.domain.payments import BillingAddress, PaymentFailed, PaymentKind, Processor
from openpxs.domain.sale_pricing import (
    PricedLine,
    SaleLine,
    SaleSummary,
    check_program_type,
    price_order,
    shipping_method,
)
from openpxs.domain.stamp import CallStamp
from openpxs.services.card_payments import Paid, PaymentOrder, Units, charge_and_fulfil
from openpxs.services.card_payments import configured_processor as processor_of
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card
from openpxs.services.recharge import ADDRESS_FIELDS, Method, check_method
from openpxs.services.sale_fulfilment import fulfil_order
from openpxs.store.repositories.sale_orders import NewSaleOrder, SaleOrder

# How far ahead a purchaser may schedule a gift's delivery.
LONGEST_DELIVERY_DELAY = timedelta(days=366)
NAME_LIMIT = 100


@dataclass(frozen=True)
class Purchaser:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class SaleRequest:
    """What executeSale (and its account and loyalty card forms) asked for, unchecked."""

    program_type: str | None
    card_template: int | None
    lines: list[SaleLine]
    shipping_code: str | None
    shipping_address: BillingAddress | None = None
    purchaser: Purchaser | None = None
    billing_address: BillingAddress | None = None
    method: Method | None = None
    expected_total: object = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sold:
    # The order as recorded by the first call with the key (a retry answers it).
    order: SaleOrder
    paid: Paid


def sale_program(call: Call, program_type: str | None, template: int | None) -> SaleProgramConfig:
    """The merchant's program of this type for guests holding cards of ``template``."""
    kind = check_program_type(program_type)
    if template is None or template not in call.program.templates:
        raise Refused(
            Reason.INVALID_CARD_TEMPLATE, f"card template {template} is not the merchant's"
        )
    found = next(
        (
            s
            for s in call.program.payments.sales
            if s.type == kind and (not s.offered_to or template in s.offered_to)
        ),
        None,
    )
    if found is None:
        raise Refused(Reason.SALE_PROGRAM_NOT_FOUND, f"no {kind} program is offered")
    if not found.active:
        raise Refused(Reason.SALE_PROGRAM_NOT_ACTIVE)
    return found


def loyalty_card_program(call: Call, template: int | None) -> SaleProgramConfig:
    """The program selling loyalty cards of ``template``."""
    if template is None or template not in call.program.templates:
        raise Refused(
            Reason.INVALID_CARD_TEMPLATE, f"card template {template} is not the merchant's"
        )
    found = next(
        (
            s
            for s in call.program.payments.sales
            if s.type == "LOYALTY_CARD" and s.card_template == template
        ),
        None,
    )
    if found is None:
        raise Refused(Reason.SALE_PROGRAM_NOT_FOUND, f"card template {template} is not sold")
    if not found.active:
        raise Refused(Reason.SALE_PROGRAM_NOT_ACTIVE)
    return found


async def buying_account(call: Call, card_number: str | None) -> AccountRef:
    """The signed-in guest's account, by a card of it in use."""
    account = await account_by_card(call, card_number)
    if not account.in_use:
        raise CardNotFound("the card is not in use")
    return account


async def programs_for_account(call: Call, card_number: str | None) -> list[SaleProgramConfig]:
    """Every active program offered to the account's card template."""
    account = await buying_account(call, card_number)
    return [
        s
        for s in call.program.payments.sales
        if s.active and (not s.offered_to or account.template_code in s.offered_to)
    ]


def price(program: SaleProgramConfig, lines: list[SaleLine], shipping: str | None) -> SaleSummary:
    return price_order(program, lines, shipping)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_purchaser(purchaser: Purchaser | None) -> Purchaser:
    if purchaser is None:
        raise Refused(Reason.INVALID_PURCHASER, "purchaser is required")
    first, last, email = (
        _text(purchaser.first_name),
        _text(purchaser.last_name),
        _text(purchaser.email),
    )
    if not first or not last or not email:
        raise Refused(Reason.INVALID_PURCHASER, "firstName, lastName and email are required")
    if not is_email(email) or len(email) > 254:
        raise Refused(Reason.INVALID_PURCHASER, "email is not an e-mail address")
    if len(first) > NAME_LIMIT or len(last) > NAME_LIMIT:
        raise Refused(Reason.INVALID_PURCHASER, "names are at most 100 characters")
    return Purchaser(first, last, email, _text(purchaser.phone))


def _check_recipients(
    call: Call,
    program: SaleProgramConfig,
    summary: SaleSummary,
    emailed: bool,
) -> None:
    """Each line's recipient: an e-mail address for emailed items, a message within the
    limit, and a delivery day from today to a year ahead. A line without a recipient
    is the purchaser's."""
    today = local_date(call.now, call.program.timezone)
    for line in summary.lines:
        recipient = line.recipient
        if recipient is None:
            continue  # the purchaser's: e-mailed to them, or onto their card
        email = _text(recipient.email)
        if emailed and email is None:
            raise Refused(Reason.INVALID_RECIPIENT, "recipient.email is required")
        if email is not None and (not is_email(email) or len(email) > 254):
            raise Refused(Reason.INVALID_RECIPIENT, "recipient.email is not an e-mail address")
        if recipient.message and len(recipient.message) > program.message_max_length:
            raise Refused(
                Reason.INVALID_RECIPIENT,
                f"the message is longer than {program.message_max_length} characters",
            )
        for name in (recipient.first_name, recipient.last_name):
            if name and len(name) > NAME_LIMIT:
                raise Refused(Reason.INVALID_RECIPIENT, "names are at most 100 characters")
        day = recipient.delivery_date
        if day is not None and not today <= day <= today + LONGEST_DELIVERY_DELAY:
            raise Refused(
                Reason.INVALID_RECIPIENT, "deliveryDate must be from today to a year from now"
            )


def _check_address(address: BillingAddress | None) -> BillingAddress:
    if address is None or any(not (getattr(address, f) or "").strip() for f in ADDRESS_FIELDS):
        raise Refused(
            Reason.ADDRESS_REQUIRED,
            "address1, city, stateProvince, postalCode and country are required",
        )
    return address


def _check_expected(expected: object, summary: SaleSummary) -> None:
    if expected is None:
        return
    try:
        shown = Decimal(str(expected).strip())
    except ArithmeticError:
        raise Refused(Reason.PRICE_CHANGED, "expectedTotal is not a decimal number") from None
    if not shown.is_finite() or shown != summary.total:
        raise Refused(Reason.PRICE_CHANGED, f"the order's total is {summary.total}")


@dataclass(frozen=True)
class CheckedOrder:
    """An order that may be placed: priced, its shipping, recipients and purchaser
    checked, its total the one the guest was shown."""

    summary: SaleSummary
    purchaser: Purchaser
    account: AccountRef | None
    shipping_address: BillingAddress | None


@dataclass(frozen=True)
class _Checked:
    order: CheckedOrder
    token: str
    saved: bool


async def check_order(
    call: Call,
    program: SaleProgramConfig,
    req: SaleRequest,
    account: AccountRef | None,
) -> CheckedOrder:
    """Everything of the order but how it is paid (see the module)."""
    summary = price_order(program, req.lines, req.shipping_code)
    if summary.total <= 0:
        raise Refused(Reason.AMOUNT_OUT_OF_RANGE, "the order's total must be above zero")
    method = shipping_method(program, req.shipping_code)
    shipping_address = None
    if method.delivery_type == "MAIL":
        shipping_address = _check_address(req.shipping_address)
    if account is None:
        purchaser = _check_purchaser(req.purchaser)
    else:
        user = (
            await call.uow.users.by_id(call.merchant_id, account.user_id)
            if account.user_id is not None
            else None
        )
        fields = user.fields if user is not None else {}
        purchaser = Purchaser(
            _text(str(fields.get("firstName") or "")),
            _text(str(fields.get("lastName") or "")),
            user.email if user is not None else None,
        )
    _check_recipients(
        call,
        program,
        summary,
        method.delivery_type == "EMAIL",
    )
    _check_expected(req.expected_total, summary)
    return CheckedOrder(summary, purchaser, account, shipping_address)


async def _checked(
    call: Call,
    program: SaleProgramConfig,
    req: SaleRequest,
    account: AccountRef | None,
) -> _Checked:
    order = await check_order(call, program, req, account)
    method_type = (req.method.type or "").upper() if req.method is not None else ""
    if method_type == "SAVED_CC" and account is None:
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "SAVED_CC needs a signed-in guest")
    token = check_method(req.method, req.billing_address, needs_address=True)
    saved = token is None
    if token is None:
        assert account is not None
        kept = await call.uow.payment_methods.saved_card(call.merchant_id, account.account_id)
        if kept is None:
            raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no credit card is saved on the account")
        token = kept.token
    return _Checked(order, token, saved)


def order_key(call: Call, retry_key: str | None, account: AccountRef | None) -> str:
    """The order's key: the same Idempotency-Key header is the same order. Guests of
    one app share its integration, so a signed-in purchaser's key is their account's:
    another guest's header never answers their order."""
    if not retry_key:
        return f"sale:{uuid.uuid4().hex}"
    owner = f"a{account.account_id}:" if account is not None else ""
    return f"sale:{call.integration.id}:{owner}{retry_key}"[:100]


def new_order(
    call: Call,
    program: SaleProgramConfig,
    req: SaleRequest,
    checked: CheckedOrder,
    key: str,
    *,
    total_points_units: int | None = None,
) -> NewSaleOrder:
    """The order's record, before it is paid."""
    summary = checked.summary
    return NewSaleOrder(
        merchant_id=call.merchant_id,
        order_number=_order_number(),
        idempotency_key=key,
        program_type=program.type,
        card_template=program.card_template,
        account_id=checked.account.account_id if checked.account else None,
        purchaser={
            "firstName": checked.purchaser.first_name,
            "lastName": checked.purchaser.last_name,
            "email": checked.purchaser.email,
            "phone": checked.purchaser.phone,
        },
        shipping_method=req.shipping_code or "",
        shipping_address=_address_record(checked.shipping_address),
        lines=[_line_record(line) for line in summary.lines],
        subtotal_units=to_units(summary.subtotal),
        order_discount_units=to_units(summary.order_discount),
        shipping_cost_units=to_units(summary.shipping_cost),
        total_units=to_units(summary.total),
        total_points_units=total_points_units,
    )


def _order_number() -> str:
    # Told to purchasers and support staff: short, unambiguous, not guessable in bulk.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "S" + "".join(secrets.choice(alphabet) for _ in range(11))


def _line_record(line: PricedLine) -> dict[str, object]:
    recipient = line.recipient
    return {
        "designCode": line.design_code,
        "amount": str(line.amount),
        "quantity": line.quantity,
        "discount": str(line.discount),
        "price": str(line.price),
        "recipient": (
            {
                "firstName": _text(recipient.first_name),
                "lastName": _text(recipient.last_name),
                "email": _text(recipient.email),
                "message": recipient.message or None,
                "deliveryDate": recipient.delivery_date.isoformat()
                if recipient.delivery_date
                else None,
            }
            if recipient is not None
            else None
        ),
    }


def _address_record(address: BillingAddress | None) -> dict[str, str | None] | None:
    if address is None:
        return None
    return {f: getattr(address, f) for f in (*ADDRESS_FIELDS, "address2")}


async def execute_sale(
    call: Call,
    units: Units,
    program: SaleProgramConfig,
    req: SaleRequest,
    *,
    account_card: str | None,
    retry_key: str | None,
) -> Sold:
    """Check everything, record the order, then charge and fulfil it (see the module).

    The same ``retry_key`` (the Idempotency-Key header) is the same order: its first
    outcome is answered and nothing is charged or issued twice."""
    processor = processor_of(call.program)
    async with units() as uow:
        scoped = replace(call, uow=uow)
        account = await buying_account(scoped, account_card) if account_card else None
        checked = await _checked(scoped, program, req, account)
    key = order_key(call, retry_key, account)
    async with units() as uow:
        order, _fresh = await uow.sale_orders.record(
            new_order(call, program, req, checked.order, key), call.now
        )
    stamp = call.online_stamp(program.store)
    total = from_units(order.total_units, 2)
    try:
        paid = await _charge(units, call, processor, program, req, checked, order, key, stamp)
    except PaymentFailed as failed:
        # The reply shows what was asked for, also when the processor says nothing of it.
        if failed.result.amount is None:
            failed.result = replace(failed.result, amount=total)
        raise
    async with units() as uow:
        done = await uow.sale_orders.by_key(call.merchant_id, key)
    assert done is not None
    return Sold(done, paid)


async def _charge(
    units: Units,
    call: Call,
    processor: Processor,
    program: SaleProgramConfig,
    req: SaleRequest,
    checked: _Checked,
    order: SaleOrder,
    key: str,
    stamp: CallStamp,
) -> Paid:
    return await charge_and_fulfil(
        units,
        call.program,
        processor,
        stamp,
        PaymentOrder(
            kind=PaymentKind.SALE,
            card_number=order.order_number,
            wallet_code=program.wallet or 0,
            amount=from_units(order.total_units, 2),
            token=checked.token,
            idempotency_key=key,
            saved=checked.saved,
            address=req.billing_address,
            metadata=req.metadata,
        ),
        partial(fulfil_order, call.program, program, stamp, order),
    )

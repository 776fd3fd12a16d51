"""Sale Service (sale.yaml): the web store's programs, pricing an order, and the sale.

A sale charges the purchaser's card first and issues the cards only after approval
(services.sales); handlers only translate between the wire and those use cases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from openpxs.api.payment.handlers import charge_response
from openpxs.api.payment.models import Address, PaymentMethod
from openpxs.api.sale import models as m
from openpxs.api.sale.errors import (
    ACCOUNT,
    ACCOUNT_CARD,
    ANONYMOUS,
    ANY,
    PRICING,
    SALE,
    SELLING,
)
from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.errors import Reason as R
from openpxs.domain.errors import Refused
from openpxs.domain.money import from_units
from openpxs.domain.payments import BillingAddress, PaymentFailed
from openpxs.domain.sale_pricing import Recipient, SaleLine, SaleSummary
from openpxs.services import reward_yourself, sales
from openpxs.services.recharge import Method
from openpxs.store.repositories.sale_orders import SaleOrder
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# --- wire -> use case


def _address(address: Address | None) -> BillingAddress | None:
    if address is None:
        return None
    return BillingAddress(
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        state_province=address.stateProvince,
        postal_code=address.postalCode,
        country=address.country,
    )


def _delivery_date(raw: str | None) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Refused(R.INVALID_RECIPIENT, "deliveryDate must be yyyy-mm-dd") from None


def _lines(items: list[m.SaleItem]) -> list[SaleLine]:
    return [
        SaleLine(
            design_code=item.designCode or None,
            amount=item.amount,
            quantity=item.quantity,
            recipient=(
                Recipient(
                    first_name=item.recipient.firstName,
                    last_name=item.recipient.lastName,
                    email=item.recipient.email,
                    message=item.recipient.message,
                    delivery_date=_delivery_date(item.recipient.deliveryDate),
                )
                if item.recipient is not None
                else None
            ),
        )
        for item in items
    ]


def _method(method: PaymentMethod | None) -> Method | None:
    if method is None:
        return None
    return Method(method.type, method.token, method.paymentMethodId, False, method.cardholderName)


def _purchaser(purchaser: m.Purchaser | None) -> sales.Purchaser | None:
    if purchaser is None:
        return None
    return sales.Purchaser(
        purchaser.firstName, purchaser.lastName, purchaser.email, purchaser.phone
    )


# --- use case -> wire


def _program(program: SaleProgramConfig, *, signed_in: bool) -> m.Program:
    loyalty = program.type == "LOYALTY_CARD"
    return m.Program(
        programType=program.type,
        name=program.name,
        cardTemplateCode=program.card_template,
        minAmount=program.price if loyalty else program.min_amount,
        maxAmount=program.price if loyalty else program.max_amount,
        amounts=[program.price] if loyalty and program.price is not None else program.amounts,
        maxQuantity=program.max_quantity,
        designs=[
            m.SaleDesign(code=d.code, name=d.name, imageUrl=d.image_url) for d in program.designs
        ],
        shippingMethods=[
            m.ShippingMethod(code=s.code, name=s.name, deliveryType=s.delivery_type, price=s.price)
            for s in program.shipping_methods
        ],
        paymentMethods=_payment_methods(program, signed_in=signed_in),
        discounts=[
            m.SaleDiscount(
                description=d.description,
                scope=d.scope,
                type=d.type,
                value=d.value,
                minimumAmount=d.minimum_amount or None,
            )
            for d in program.discounts
        ],
        messageMaxLength=program.message_max_length,
        pointsPerCurrencyUnit=program.points_per_currency_unit,
    )


def _payment_methods(program: SaleProgramConfig, *, signed_in: bool) -> list[str]:
    if program.type == "REWARD_YOURSELF":
        return []  # paid with the account's points: no paymentMethod is sent
    return ["CC", "SAVED_CC"] if signed_in else ["CC"]


def _summary(summary: SaleSummary, points: Decimal | None = None) -> m.SaleSummary:
    return m.SaleSummary(
        items=[
            m.PricedSaleItem(
                designCode=line.design_code,
                amount=line.amount,
                quantity=line.quantity,
                discount=line.discount,
                price=line.price,
            )
            for line in summary.lines
        ],
        subtotal=summary.subtotal,
        orderDiscount=summary.order_discount,
        shippingCost=summary.shipping_cost,
        total=summary.total,
        totalPoints=points,
    )


def _priced(
    ctx: CallContext, program: SaleProgramConfig, summary: SaleSummary
) -> m.CalculatePriceReply:
    points = None
    if program.type == "REWARD_YOURSELF":
        points = reward_yourself.points_price(ctx, program, summary)
    return m.CalculatePriceReply(saleSummary=_summary(summary, points))


def _recorded_summary(order: SaleOrder, points: Decimal | None = None) -> m.SaleSummary:
    """The summary as the order recorded it (a retry answers the first call's order)."""
    return m.SaleSummary(
        items=[
            m.PricedSaleItem(
                designCode=line.get("designCode"),
                amount=Decimal(line["amount"]),
                quantity=int(line["quantity"]),
                discount=Decimal(line["discount"]),
                price=Decimal(line["price"]),
            )
            for line in order.lines
        ],
        subtotal=from_units(order.subtotal_units, 2),
        orderDiscount=from_units(order.order_discount_units, 2),
        shippingCost=from_units(order.shipping_cost_units, 2),
        total=from_units(order.total_units, 2),
        totalPoints=points,
    )


async def _sell(
    ctx: CallContext,
    program: SaleProgramConfig,
    request: sales.SaleRequest,
    account_card: str | None,
) -> m.ExecuteSaleReply:
    assert ctx.units is not None
    try:
        sold = await sales.execute_sale(
            ctx,
            ctx.units,
            program,
            request,
            account_card=account_card,
            retry_key=ctx.idempotency_key,
        )
    except PaymentFailed as failed:
        failed.members = {
            "chargeResponse": charge_response(
                ctx.program, failed.result, failed.result.amount or Decimal(0), ctx.now
            ).model_dump(mode="json")
        }
        raise
    total = from_units(sold.order.total_units, 2)
    return m.ExecuteSaleReply(
        orderNumber=sold.order.order_number,
        saleSummary=_recorded_summary(sold.order),
        chargeResponse=charge_response(
            ctx.program, sold.paid.result, total, sold.paid.attempt.updated_at
        ),
    )


# --- configuration


@endpoint(
    SALE,
    "saleConfig",
    method="GET",
    request=m.SaleConfigRequest,
    reply=m.SaleConfigReply,
    styles=ANONYMOUS,
    summary="A sale program's designs, amounts, discounts and shipping methods",
    errors=(
        R.INVALID_PROGRAM_TYPE,
        R.SALE_PROGRAM_NOT_FOUND,
        R.SALE_PROGRAM_NOT_ACTIVE,
        R.INVALID_CARD_TEMPLATE,
    ),
)
async def sale_config(ctx: CallContext, req: m.SaleConfigRequest) -> m.SaleConfigReply:
    """The program of programType (EGIFT, REWARD_YOURSELF, LOYALTY_CARD) offered to
    guests holding cards of cardTemplateCode: face value limits or presets, designs,
    discounts, shipping and payment methods (none for REWARD_YOURSELF, paid with points
    at pointsPerCurrencyUnit). Read-only, for guests who are not signed in; tierCode is
    accepted and changes nothing (programs are chosen by card template)."""
    program = sales.sale_program(ctx, req.programType, req.cardTemplateCode)
    return m.SaleConfigReply(program=_program(program, signed_in=False))


@endpoint(
    SALE,
    "saleConfigForAccount",
    method="GET",
    request=m.SaleConfigForAccountRequest,
    reply=m.SaleConfigReply,
    styles=ACCOUNT,
    summary="A sale program as a signed-in guest's card sees it",
    errors=(
        *ACCOUNT_CARD,
        R.INVALID_PROGRAM_TYPE,
        R.SALE_PROGRAM_NOT_FOUND,
        R.SALE_PROGRAM_NOT_ACTIVE,
        R.INVALID_CARD_TEMPLATE,
    ),
    scope="account_read",
)
async def sale_config_for_account(
    ctx: CallContext, req: m.SaleConfigForAccountRequest
) -> m.SaleConfigReply:
    """As saleConfig, with the card template taken from printedCardNumber's account;
    the payment methods include SAVED_CC (the card saved on the account)."""
    account = await sales.buying_account(ctx, req.printedCardNumber)
    program = sales.sale_program(ctx, req.programType, account.template_code)
    return m.SaleConfigReply(program=_program(program, signed_in=True))


@endpoint(
    SALE,
    "saleConfigsForAccount",
    method="GET",
    request=m.AccountRequest,
    reply=m.SaleConfigsReply,
    styles=ACCOUNT,
    summary="Every sale program offered to a signed-in guest's card",
    errors=ACCOUNT_CARD,
    scope="account_read",
)
async def sale_configs_for_account(ctx: CallContext, req: m.AccountRequest) -> m.SaleConfigsReply:
    """Each active program offered to the account's card template; none is an empty list."""
    programs = await sales.programs_for_account(ctx, req.printedCardNumber)
    return m.SaleConfigsReply(programs=[_program(p, signed_in=True) for p in programs])


@endpoint(
    SALE,
    "loyaltyCardSaleConfig",
    method="GET",
    request=m.LoyaltyCardSaleConfigRequest,
    reply=m.SaleConfigReply,
    styles=ANY,
    summary="The price, designs and shipping of a loyalty card for sale",
    errors=(R.SALE_PROGRAM_NOT_FOUND, R.SALE_PROGRAM_NOT_ACTIVE, R.INVALID_CARD_TEMPLATE),
)
async def loyalty_card_sale_config(
    ctx: CallContext, req: m.LoyaltyCardSaleConfigRequest
) -> m.SaleConfigReply:
    """The LOYALTY_CARD program selling cards of cardTemplateCode; its price is
    minAmount, maxAmount and the one preset amount."""
    program = sales.loyalty_card_program(ctx, req.cardTemplateCode)
    return m.SaleConfigReply(program=_program(program, signed_in=False))


# --- pricing


@endpoint(
    SALE,
    "calculatePrice",
    request=m.CalculatePriceRequest,
    reply=m.CalculatePriceReply,
    styles=ANONYMOUS,
    summary="Price an order: item discounts, order discounts, shipping",
    errors=PRICING,
)
async def calculate_price(ctx: CallContext, req: m.CalculatePriceRequest) -> m.CalculatePriceReply:
    """Checks every item against the program (design, face value, quantity) and the
    shipping method, then applies item discounts, order discounts and shipping, each
    rounded to cents. Nothing is charged, reserved or stored."""
    program = sales.sale_program(ctx, req.programType, req.cardTemplateCode)
    summary = sales.price(program, _lines(req.items), req.shippingMethodCode)
    return _priced(ctx, program, summary)


@endpoint(
    SALE,
    "calculatePriceForAccount",
    request=m.CalculatePriceForAccountRequest,
    reply=m.CalculatePriceReply,
    styles=ACCOUNT,
    summary="Price an order for a signed-in guest",
    errors=(*ACCOUNT_CARD, *PRICING),
    scope="account_read",
)
async def calculate_price_for_account(
    ctx: CallContext, req: m.CalculatePriceForAccountRequest
) -> m.CalculatePriceReply:
    """As calculatePrice, for the program offered to printedCardNumber's card template.
    Nothing is stored."""
    account = await sales.buying_account(ctx, req.printedCardNumber)
    program = sales.sale_program(ctx, req.programType, account.template_code)
    summary = sales.price(program, _lines(req.items), req.shippingMethodCode)
    return _priced(ctx, program, summary)


@endpoint(
    SALE,
    "calculateRewardYourselfPoints",
    request=m.RewardYourselfPointsRequest,
    reply=m.RewardYourselfPointsReply,
    styles=ACCOUNT,
    summary="Points needed to buy items with points (Reward Yourself)",
    errors=(
        *ACCOUNT_CARD,
        R.SALE_PROGRAM_NOT_FOUND,
        R.SALE_PROGRAM_NOT_ACTIVE,
        R.INVALID_ITEM,
        R.AMOUNT_OUT_OF_RANGE,
        R.INVALID_QUANTITY,
        R.INVALID_DESIGN,
    ),
    scope="account_read",
)
async def calculate_reward_yourself_points(
    ctx: CallContext, req: m.RewardYourselfPointsRequest
) -> m.RewardYourselfPointsReply:
    """Prices the items against the REWARD_YOURSELF program offered to
    printedCardNumber's card (designs, face values, quantities, item and order
    discounts; the program ships free), converts the total into points at the program's
    rate, rounded up, and reports them next to the account's spendable points in the
    program's points wallet. Nothing is deducted or stored."""
    found = await reward_yourself.quote(ctx, req.printedCardNumber, _lines(req.items))
    return m.RewardYourselfPointsReply(
        pointsRequired=found.points_required,
        pointsBalance=found.points_balance,
        walletCode=found.wallet_code,
    )


# --- selling


@endpoint(
    SALE,
    "executeSale",
    request=m.ExecuteSaleRequest,
    reply=m.ExecuteSaleReply,
    styles=ANONYMOUS,
    summary="Buy eGift cards without an account: charge, then issue and deliver",
    errors=(*SELLING, R.INVALID_PURCHASER),
    own_transactions=True,
)
async def execute_sale(ctx: CallContext, req: m.ExecuteSaleRequest) -> m.ExecuteSaleReply:
    """Prices the order as calculatePrice does (refused with sale.price_changed when
    expectedTotal differs), checks recipients, purchaser and payment method, then
    charges the total once. Only an approved charge issues the cards: one new virtual
    card per unit, activated and loaded with its face value, and e-mailed to its
    recipient (or the purchaser) on its deliveryDate. A decline changes nothing; a
    failure after the charge voids it before the reply. Send an Idempotency-Key header
    to make a retry the same order: it answers the first outcome and charges nothing
    more. REWARD_YOURSELF is paid with an account's points: executeSaleForAccount."""
    program = sales.sale_program(ctx, req.programType, req.cardTemplateCode)
    if program.type == "REWARD_YOURSELF":
        raise Refused(
            R.INVALID_PROGRAM_TYPE,
            "REWARD_YOURSELF is paid with an account's points: use executeSaleForAccount",
        )
    return await _sell(
        ctx,
        program,
        sales.SaleRequest(
            program_type=req.programType,
            card_template=req.cardTemplateCode,
            lines=_lines(req.items),
            shipping_code=req.shippingMethodCode,
            shipping_address=_address(req.shippingAddress),
            purchaser=_purchaser(req.purchaser),
            billing_address=_address(req.billingAddress),
            method=_method(req.paymentMethod),
            expected_total=req.expectedTotal,
            metadata=dict(req.metadata or {}),
        ),
        None,
    )


@endpoint(
    SALE,
    "executeSaleForAccount",
    request=m.ExecuteSaleForAccountRequest,
    reply=m.ExecuteSaleReply,
    styles=ACCOUNT,
    summary="Buy eGift cards as a signed-in guest",
    errors=(*ACCOUNT_CARD, *SELLING, R.INSUFFICIENT_BALANCE),
    scope="account_write",
    own_transactions=True,
)
async def execute_sale_for_account(
    ctx: CallContext, req: m.ExecuteSaleForAccountRequest
) -> m.ExecuteSaleReply:
    """As executeSale, for printedCardNumber's account: the purchaser is the account's
    guest, the card saved on the account may pay (SAVED_CC), and an item without a
    recipient is loaded onto the purchaser's own card instead of a new one. A
    REWARD_YOURSELF order sends no paymentMethod: its points (saleSummary.totalPoints)
    are taken off the account's points wallet in the same transaction that issues and
    loads the cards, or the sale is refused with sale.insufficient_points; the reply
    has no chargeResponse."""
    assert ctx.units is not None
    async with ctx.units() as uow:
        account = await sales.buying_account(replace(ctx, uow=uow), req.printedCardNumber)
    program = sales.sale_program(ctx, req.programType, account.template_code)
    request = sales.SaleRequest(
        program_type=req.programType,
        card_template=account.template_code,
        lines=_lines(req.items),
        shipping_code=req.shippingMethodCode,
        shipping_address=_address(req.shippingAddress),
        billing_address=_address(req.billingAddress),
        method=_method(req.paymentMethod),
        expected_total=req.expectedTotal,
        metadata=dict(req.metadata or {}),
    )
    if program.type == "REWARD_YOURSELF":
        bought = await reward_yourself.buy_with_points(
            ctx,
            ctx.units,
            program,
            request,
            account_card=req.printedCardNumber or "",
            retry_key=ctx.idempotency_key,
        )
        return m.ExecuteSaleReply(
            orderNumber=bought.order.order_number,
            saleSummary=_recorded_summary(bought.order, bought.points),
        )
    return await _sell(ctx, program, request, req.printedCardNumber)


@endpoint(
    SALE,
    "executeLoyaltyCardSale",
    request=m.ExecuteLoyaltyCardSaleRequest,
    reply=m.ExecuteSaleReply,
    styles=ANY,
    summary="Buy loyalty cards: charge, then reserve the cards",
    errors=(
        R.SALE_PROGRAM_NOT_FOUND,
        R.SALE_PROGRAM_NOT_ACTIVE,
        R.INVALID_CARD_TEMPLATE,
        R.INVALID_QUANTITY,
        R.AMOUNT_OUT_OF_RANGE,
        R.INVALID_ITEM,
        R.INVALID_DESIGN,
        R.INVALID_SHIPPING_METHOD,
        R.ADDRESS_REQUIRED,
        R.INVALID_PURCHASER,
        R.INVALID_RECIPIENT,
        R.INVALID_PAYMENT_METHOD,
        R.NO_SAVED_CREDIT_CARD,
        R.PRICE_CHANGED,
        R.PROCESSOR_DECLINED,
        R.PROCESSOR_ERROR,
        R.PAYMENTS_NOT_CONFIGURED,
    ),
    own_transactions=True,
)
async def execute_loyalty_card_sale(
    ctx: CallContext, req: m.ExecuteLoyaltyCardSaleRequest
) -> m.ExecuteSaleReply:
    """Charges quantity times the card's price plus shipping, then reserves one new
    card of cardTemplateCode per unit (issued, not active) and e-mails its number and
    registration code to the purchaser; the guest activates it by registering. Same
    charge-first and void-on-failure rules as executeSale."""
    program = sales.loyalty_card_program(ctx, req.cardTemplateCode)
    return await _sell(
        ctx,
        program,
        sales.SaleRequest(
            program_type=program.type,
            card_template=req.cardTemplateCode,
            lines=[
                SaleLine(design_code=req.designCode or None, amount=None, quantity=req.quantity)
            ],
            shipping_code=req.shippingMethodCode,
            shipping_address=_address(req.shippingAddress),
            purchaser=_purchaser(req.purchaser),
            billing_address=_address(req.billingAddress),
            method=_method(req.paymentMethod),
            expected_total=req.expectedTotal,
        ),
        None,
    )

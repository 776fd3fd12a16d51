"""What the hosted guest website sells a signed-in guest: reloading one of their cards and
buying an eGift, both paid on the processor's own checkout page or, for a processor
without one (Stripe), in its card element on a page of the site (the site never sees a
card number either way).

Each purchase is a checkout of ``payment_intents`` opened under a reference the site
makes up (the checkout's retry key), with a return URL that carries it. When the guest
comes back, the reference finds the intent again; reading it then does the rest:

- a reload is a RECHARGE checkout captured automatically on that read, which credits the
  card (``payment_intents.read_intent``); the recharge rules (an active card whose owner
  verified an e-mail, the merchant's limits) are checked before the checkout opens;
- an eGift is the web store's order (``sales.check_order``, recorded before the checkout
  opens) paid by a SALE checkout with manual capture: the capture and the order's
  fulfilment (``sale_fulfilment``: the card issued, loaded and e-mailed through the
  outbox) are one (``payment_intents.capture_order``).

Coming back again reads the same intent, which is captured once: nothing is charged or
issued twice. A checkout refused or left unpaid stays open at the processor, credits
nothing, and is released when its capture window ends.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

from openpxs.config.payments import StripeProcessorConfig
from openpxs.config.sales import SaleProgramConfig
from openpxs.domain.errors import CardNotFound, DomainError, Reason, Refused
from openpxs.domain.money import from_units
from openpxs.domain.sale_pricing import Recipient, SaleLine
from openpxs.domain.stamp import CallStamp
from openpxs.services import payment_intents, sales
from openpxs.services.account_overview import user_overview
from openpxs.services.balances import account_view
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card, user_for
from openpxs.services.payment_intents import Status
from openpxs.services.recharge import recharge_settings
from openpxs.services.sale_fulfilment import fulfil_order
from openpxs.store.repositories.payment_intents import StoredIntent
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.store.repositories.sale_orders import SaleOrder
from openpxs.store.uow import UnitOfWork

# Where the guest is sent back to, given the purchase's reference.
ReturnTo = Callable[[str], str]


@dataclass(frozen=True)
class ReloadableCard:
    card_number: str
    balance: Decimal


@dataclass(frozen=True)
class ReloadOffer:
    cards: list[ReloadableCard]
    min_amount: Decimal
    max_amount: Decimal
    currency: str


@dataclass(frozen=True)
class StripeElement:
    """What the site's own payment page needs to pay an intent in Stripe's card element:
    all public (the client secret pays this one intent only)."""

    client_secret: str
    publishable_key: str
    script_url: str
    api_base: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Checkout:
    """A checkout opened for the guest: where they pay it, the processor's hosted page
    (``url``) or the site's own page around the processor's element (``element``)."""

    url: str | None
    reference: str
    element: StripeElement | None = None


@dataclass(frozen=True)
class Reload:
    """A reload as the guest comes back from paying it."""

    status: str  # the intent's (payment_intents.Status)
    card_number: str
    amount: Decimal
    # The card's stored value now.
    balance: Decimal | None
    # The processor's refusal, when the guest tried a card that was refused.
    refusal: str | None


@dataclass(frozen=True)
class EgiftOffer:
    program: SaleProgramConfig
    card_number: str


@dataclass(frozen=True)
class EgiftOrder:
    """What the guest asks for: one eGift e-mailed to someone."""

    amount: str
    design_code: str | None
    recipient_name: str
    recipient_email: str
    message: str


@dataclass(frozen=True)
class Egift:
    """An eGift order as the guest comes back from paying it."""

    status: str  # the intent's (payment_intents.Status)
    order: SaleOrder

    @property
    def fulfilled(self) -> bool:
        return self.order.fulfilled_at is not None

    @property
    def total(self) -> Decimal:
        return from_units(self.order.total_units, 2)


def new_reference() -> str:
    return secrets.token_urlsafe(18)


async def _guest_cards(call: Call) -> list[AccountRef]:
    """The primary card of each of the signed-in guest's accounts that can transact."""
    found = await user_overview(call, await user_for(call, None))
    refs = [await account_by_card(call, number) for number in found.primary_cards]
    return [ref for ref in refs if ref.in_use]


# ---------------------------------------------------------------------------------------
# Reloading a card


async def reload_offer(call: Call) -> ReloadOffer:
    """The guest's cards that hold the recharged wallet, and the merchant's limits."""
    settings = recharge_settings(call.program.payments)
    cards = []
    for ref in await _guest_cards(call):
        wallets = {w.code for w in call.program.wallets_of_template(ref.template_code)}
        if settings.wallet not in wallets:
            continue
        view = await account_view(
            call.uow, call.program, ref.card_number, ref.account_id, ref.template_code
        )
        balance = next((q for w, q in view.balances if w.code == settings.wallet), Decimal(0))
        cards.append(ReloadableCard(ref.card_number, balance))
    return ReloadOffer(
        cards, settings.min_amount, settings.max_amount, call.program.payments.currency
    )


async def open_reload(
    call: Call, units: Units, card_number: str, raw_amount: str, return_to: ReturnTo
) -> Checkout:
    """Open the checkout of a reload (the recharge rules are checked first)."""
    reference = new_reference()
    view = await payment_intents.open_checkout(
        call,
        units,
        card_number=card_number,
        raw_amount=raw_amount,
        purpose="RECHARGE",
        capture_method="AUTOMATIC",
        return_url=return_to(reference),
        retry_key=reference,
    )
    return _checkout(call, view, reference)


async def finish_reload(call: Call, units: Units, reference: str) -> Reload:
    """The reload the guest comes back from: captured and credited if they paid it."""
    intent = await _intent_of(call, units, reference, "RECHARGE")
    view = await payment_intents.read_intent(call, units, intent.public_id)
    number = view.intent.card_number
    assert number is not None  # a RECHARGE intent names its card
    async with units() as uow:
        ref = await account_by_card(replace(call, uow=uow), number)
        shown = await account_view(uow, call.program, number, ref.account_id, ref.template_code)
    refusal = None
    if view.intent.status == Status.CREATED and view.result is not None:
        refusal = view.result.message
    return Reload(
        view.intent.status,
        number,
        from_units(view.intent.amount_units, 2),
        shown.sv_balance,
        refusal,
    )


# ---------------------------------------------------------------------------------------
# Buying an eGift


async def egift_offer(call: Call) -> EgiftOffer:
    """The eGift program offered to the guest's card (the first that can transact)."""
    cards = await _guest_cards(call)
    if not cards:
        raise CardNotFound("the guest has no card in use")
    program = sales.sale_program(call, "EGIFT", cards[0].template_code)
    return EgiftOffer(program, cards[0].card_number)


def _emailed(program: SaleProgramConfig) -> str:
    method = next((m for m in program.shipping_methods if m.delivery_type == "EMAIL"), None)
    if method is None:
        raise Refused(Reason.INVALID_SHIPPING_METHOD, "the eGift is not delivered by e-mail")
    return method.code


async def open_egift(call: Call, units: Units, wanted: EgiftOrder, return_to: ReturnTo) -> Checkout:
    """Check the order as executeSaleForAccount checks it, record it, and open the
    checkout of its total."""
    reference = new_reference()
    async with units() as uow:
        scoped = replace(call, uow=uow)
        offer = await egift_offer(scoped)
        account = await sales.buying_account(scoped, offer.card_number)
        request = sales.SaleRequest(
            program_type="EGIFT",
            card_template=account.template_code,
            lines=[
                SaleLine(
                    wanted.design_code or None,
                    wanted.amount,
                    1,
                    Recipient(
                        first_name=wanted.recipient_name,
                        email=wanted.recipient_email,
                        message=wanted.message or None,
                    ),
                )
            ],
            shipping_code=_emailed(offer.program),
        )
        if not wanted.recipient_name.strip():
            raise Refused(Reason.INVALID_RECIPIENT, "the recipient's name is required")
        checked = await sales.check_order(scoped, offer.program, request, account)
    key = sales.order_key(call, reference, account)
    async with units() as uow:
        order, _ = await uow.sale_orders.record(
            sales.new_order(call, offer.program, request, checked, key), call.now
        )
    view = await payment_intents.open_checkout(
        call,
        units,
        card_number=account.card_number,
        raw_amount=str(from_units(order.total_units, 2)),
        purpose="SALE",
        capture_method="MANUAL",
        return_url=return_to(reference),
        retry_key=reference,
    )
    return _checkout(call, view, reference)


async def finish_egift(call: Call, units: Units, reference: str) -> Egift:
    """The eGift order the guest comes back from: captured and fulfilled if they paid."""
    intent = await _intent_of(call, units, reference, "SALE")
    async with units() as uow:
        scoped = replace(call, uow=uow)
        account = await account_by_card(scoped, intent.card_number)
        order = await uow.sale_orders.by_key(
            call.merchant_id, sales.order_key(call, reference, account)
        )
        if order is None:
            raise Refused(Reason.PAYMENT_INTENT_NOT_FOUND)
        program = sales.sale_program(scoped, "EGIFT", account.template_code)
    view = await payment_intents.read_intent(call, units, intent.public_id)
    if view.intent.status == Status.AUTHORIZED and order.fulfilled_at is None:
        try:
            view = await payment_intents.capture_order(
                call,
                units,
                intent.public_id,
                partial(_fulfil, call, program, order),
                program.store,
            )
        except DomainError:
            # Another load of the page is capturing it, or the capture was refused and
            # given back: the intent's status says which.
            view = await payment_intents.read_intent(call, units, intent.public_id)
    async with units() as uow:
        done = await uow.sale_orders.by_key(call.merchant_id, order.idempotency_key)
    assert done is not None
    return Egift(view.intent.status, done)


async def _fulfil(
    call: Call,
    program: SaleProgramConfig,
    order: SaleOrder,
    uow: UnitOfWork,
    stamp: CallStamp,
    attempt: PaymentAttempt,
) -> int | None:
    return await fulfil_order(call.program, program, stamp, order, uow, attempt)


# ---------------------------------------------------------------------------------------


def _checkout(call: Call, view: payment_intents.IntentView, reference: str) -> Checkout:
    intent = view.intent
    if intent.url:
        return Checkout(intent.url, reference)
    settings = call.program.payments.processor
    secret = view.opened.client_secret if view.opened is not None else None
    if secret and isinstance(settings, StripeProcessorConfig) and settings.publishable_key:
        element = StripeElement(
            secret,
            settings.publishable_key,
            settings.js_url,
            settings.api_base,
            from_units(intent.amount_units, 2),
            intent.currency,
        )
        return Checkout(None, reference, element)
    # Neither a hosted page nor an element the site knows how to show.
    raise Refused(Reason.CHECKOUT_SESSION_ERROR, "the processor has no checkout page")


async def _intent_of(call: Call, units: Units, reference: str, purpose: str) -> StoredIntent:
    """The intent the site opened under ``reference`` for this guest; not found for any
    other (someone else's reference is refused exactly like a made-up one)."""
    key = f"checkout:{call.integration.id}:{reference}"[:100]
    async with units() as uow:
        intent = await uow.payment_intents.by_open_key(call.merchant_id, key)
        if intent is None or intent.purpose != purpose or intent.card_number is None:
            raise Refused(Reason.PAYMENT_INTENT_NOT_FOUND)
        try:
            await account_by_card(replace(call, uow=uow), intent.card_number)
        except DomainError:
            raise Refused(Reason.PAYMENT_INTENT_NOT_FOUND) from None
    return intent

"""Recharging a stored value card with a credit card (payment/recharge), and reading the
merchant's payment settings and a card's recharges.

The checks come first, in the call's own unit of work, and refuse before any money
moves: the card (one the caller may reach, active), its owner's verified e-mail (the
documented rule), the amount (positive, cents, inside the merchant's limits) and the
payment method (a processor token, with a billing address where the merchant wants one).
The charge and the credit are then ``card_payments.charge_and_credit``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from openpxs.config.payments import PaymentsConfig, RechargeConfig
from openpxs.domain.errors import (
    AmountOutOfRange,
    CardNotActive,
    InvalidQuantity,
    Reason,
    Refused,
)
from openpxs.domain.money import parse_quantity
from openpxs.domain.payments import (
    CREDITS_AMOUNT,
    BillingAddress,
    PaymentFailed,
    PaymentKind,
    PaymentsNotConfigured,
    Processor,
)
from openpxs.services.card_payments import Paid, PaymentOrder, Units, charge_and_credit
from openpxs.services.card_payments import configured_processor as processor_of
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card
from openpxs.services.history import local_days
from openpxs.store.repositories.payment_methods import StoredMethod
from openpxs.store.repositories.payments import PaymentAttempt

log = logging.getLogger("openpxs.payments")

# Fields a billing address must have (payment.yaml Address).
ADDRESS_FIELDS = ("address1", "city", "state_province", "postal_code", "country")


@dataclass(frozen=True)
class Method:
    """The request's paymentMethod, read: its type and what it carries."""

    type: str | None
    token: str | None
    payment_method_id: str | None = None
    save: bool = False
    cardholder_name: str | None = None


def recharge_settings(payments: PaymentsConfig) -> RechargeConfig:
    """The merchant's recharge settings; not configured without a processor and them."""
    if payments.processor is None or payments.recharge is None or not payments.recharge.enabled:
        raise PaymentsNotConfigured("recharge is not offered by this merchant")
    return payments.recharge


def check_amount(raw: object, settings: RechargeConfig) -> Decimal:
    if raw is None:
        raise InvalidQuantity("amount is required")
    amount = parse_quantity(raw, 2)
    if not settings.min_amount <= amount <= settings.max_amount:
        raise AmountOutOfRange(
            f"amount must be from {settings.min_amount} to {settings.max_amount}"
        )
    return amount


def check_method(
    method: Method | None, address: BillingAddress | None, needs_address: bool
) -> str | None:
    """The new card's token to charge, or None for the account's saved card; refusals
    for what the method lacks."""
    if method is None or method.type is None:
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "paymentMethod.type is required")
    kind = method.type.upper()
    if kind == "SAVED_CC":
        return None
    if kind == "SAVED":
        # Saved payment methods chosen by id are kept by addPaymentMethod (not served yet).
        raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no such payment method is saved")
    if kind != "CC":
        raise Refused(Reason.INVALID_PAYMENT_METHOD, f"unknown paymentMethod.type {method.type!r}")
    token = (method.token or "").strip()
    if not token:
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "paymentMethod.token is required")
    if token.replace(" ", "").replace("-", "").isdigit():
        # A card number where a token belongs: refused, and never passed on or kept.
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "send a processor token, not a card number")
    if needs_address and (
        address is None or any(not (getattr(address, f) or "").strip() for f in ADDRESS_FIELDS)
    ):
        raise Refused(
            Reason.ADDRESS_REQUIRED,
            "address1, city, stateProvince, postalCode and country are required",
        )
    return token


async def recharge(
    call: Call,
    units: Units,
    *,
    card_number: str | None,
    raw_amount: object,
    method: Method | None,
    address: BillingAddress | None,
    metadata: dict[str, str],
    retry_key: str | None,
) -> Paid:
    """Check everything, then charge and credit (see the module)."""
    settings = recharge_settings(call.program.payments)
    processor = processor_of(call.program)
    async with units() as uow:
        order = await _checked_order(
            replace(call, uow=uow), settings, card_number, raw_amount, method, address
        )
    key = (
        f"recharge:{call.integration.id}:{retry_key}"
        if retry_key
        else f"recharge:{uuid.uuid4().hex}"
    )[:100]
    # A client's Idempotency-Key makes its retry the same attempt at the processor.
    order = replace(order, idempotency_key=key, metadata=metadata)
    keeping = method is not None and method.save and not order.saved
    card = None
    if keeping:
        # The one-time token cannot be charged twice: have the processor keep the card
        # first, then charge what it kept.
        kept = await processor.verify_and_save(order.token, f"{key}:save", address)
        if not kept.result.approved or kept.token is None:
            raise PaymentFailed(kept.result)
        order = replace(order, token=kept.token, saved=True)
        card = kept.card
    stamp = call.online_stamp(settings.store)
    paid = await charge_and_credit(units, call.program, processor, stamp, order)
    if keeping and paid.view is not None:
        async with units() as uow:
            replaced = await uow.payment_methods.replace_saved_card(
                call.merchant_id,
                paid.view.account_id,
                processor.name,
                order.token,
                card or paid.result.card,
                method.cardholder_name if method else None,
                address,
                call.now,
            )
        for old in replaced:
            await forget_token(processor, old.token, f"{key}:forget:{old.id}")
    return paid


async def forget_token(processor: Processor, token: str, key: str) -> None:
    """Ask the processor to forget a token no longer kept; a failure only logs."""
    try:
        await processor.redact(token, key)
    except Exception:
        log.exception("card processor %s could not forget a saved token", processor.name)


async def paying_account(call: Call, card_number: str | None) -> AccountRef:
    """The card's account, for anything that charges or keeps a credit card for it: the
    card in use, and its owner's e-mail address verified (the merchant's rule)."""
    account = await account_by_card(call, card_number)
    if not account.in_use:
        raise CardNotActive()
    user = (
        await call.uow.users.by_id(call.merchant_id, account.user_id)
        if account.user_id is not None
        else None
    )
    if user is None or not user.email_verified:
        raise Refused(Reason.EMAIL_NOT_VERIFIED, "the card's owner has not verified an e-mail")
    return account


async def _checked_order(
    call: Call,
    settings: RechargeConfig,
    card_number: str | None,
    raw_amount: object,
    method: Method | None,
    address: BillingAddress | None,
) -> PaymentOrder:
    account = await paying_account(call, card_number)
    amount = check_amount(raw_amount, settings)
    token = check_method(method, address, settings.require_billing_address)
    saved = token is None
    if token is None:
        kept = await call.uow.payment_methods.saved_card(call.merchant_id, account.account_id)
        if kept is None:
            raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no credit card is saved on the account")
        token = kept.token
    return PaymentOrder(
        kind=PaymentKind.RECHARGE,
        card_number=account.card_number,
        wallet_code=settings.wallet,
        amount=amount,
        token=token,
        idempotency_key="",
        saved=saved,
        address=address,
    )


async def recharges_of(
    call: Call, card_number: str | None, start: date | None, end: date | None, limit: int
) -> list[PaymentAttempt]:
    """The card's card payments, newest first (manual and automatic, declined ones too),
    made on the merchant's local days ``start`` to ``end`` when they are given."""
    account = await account_by_card(call, card_number)
    since, before = local_days(call.program, start, end)
    # Subscription charges are the Subscription Service's to show, not recharges.
    return await call.uow.payment_attempts.of_card(
        call.merchant_id,
        account.card_number,
        limit,
        since=since,
        before=before,
        kinds=CREDITS_AMOUNT,
    )


async def saved_card_of(call: Call, card_number: str | None) -> StoredMethod:
    """The credit card saved on the card's account (display data only leaves here)."""
    account = await account_by_card(call, card_number)
    kept = await call.uow.payment_methods.saved_card(call.merchant_id, account.account_id)
    if kept is None:
        raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no credit card is saved on the account")
    return kept


async def delete_saved_card(call: Call, card_number: str | None) -> None:
    """Forget the account's saved credit card, here and (best effort) at the processor.

    Automatic recharge is switched off with it: it could no longer charge.
    """
    account = await account_by_card(call, card_number)
    removed = await call.uow.payment_methods.delete_saved_card(call.merchant_id, account.account_id)
    if not removed:
        raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no credit card is saved on the account")
    await call.uow.auto_recharges.disable(call.merchant_id, account.account_id, call.now)
    if call.program.payments.processor is not None:
        processor = processor_of(call.program)
        for old in removed:
            await forget_token(processor, old.token, f"delete:{old.merchant_id}:{old.id}")

"""Automatic recharge: the rule an account keeps, the recharge a redemption makes due,
and the worker's pass that makes it.

A redemption that leaves the stored value below the rule's threshold marks one
recharge due in its own transaction (``after_redemption``); the mark is set only while
none is due, so concurrent redemptions make exactly one. The worker
(``make_due_recharges``, run by every server's background worker) charges the account's
saved credit card through ``card_payments.charge_and_credit`` and clears the mark; a
decline is counted, and after the merchant's ``max_declines`` in a row the rule is
switched off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from openpxs.domain.errors import AmountOutOfRange, DomainError, Reason, Refused
from openpxs.domain.ledger import AccountBook
from openpxs.domain.money import from_units, parse_quantity, to_units
from openpxs.domain.payments import (
    BillingAddress,
    PaymentFailed,
    PaymentKind,
    PaymentsNotConfigured,
)
from openpxs.domain.program import Program
from openpxs.domain.stamp import online
from openpxs.messaging.outbox import enqueue
from openpxs.services.card_payments import PaymentOrder, Units, charge_and_credit
from openpxs.services.card_payments import configured_processor as processor_of
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.recharge import (
    Method,
    check_amount,
    check_method,
    paying_account,
    recharge_settings,
)
from openpxs.store.repositories.auto_recharges import AutoRecharge
from openpxs.store.repositories.payment_methods import StoredMethod
from openpxs.store.uow import UnitOfWork

log = logging.getLogger("openpxs.payments")


@dataclass(frozen=True)
class Status:
    enabled: bool
    amount: object | None
    threshold: object | None
    card: StoredMethod | None
    # Whether threshold monitoring watches the card (recharge_monitoring).
    monitored: bool = False


async def enable(
    call: Call,
    units: Units,
    *,
    card_number: str | None,
    raw_amount: object,
    raw_threshold: object,
    method: Method | None,
    address: BillingAddress | None,
) -> None:
    """Store the rule; a new card is verified and kept first. No money moves."""
    settings = recharge_settings(call.program.payments)
    limits = call.program.payments.auto_recharge
    if not limits.enabled:
        raise PaymentsNotConfigured("automatic recharge is not offered by this merchant")
    processor = processor_of(call.program)
    async with units() as uow:
        checked = replace(call, uow=uow)
        account = await paying_account(checked, card_number)
        amount = check_amount(raw_amount, settings)
        if raw_threshold is None:
            raise Refused(Reason.INVALID_QUANTITY, "thresholdAmount is required")
        threshold = parse_quantity(raw_threshold, 2)
        if not limits.min_threshold <= threshold <= limits.max_threshold:
            raise AmountOutOfRange(
                f"thresholdAmount must be from {limits.min_threshold} to {limits.max_threshold}"
            )
        token = (
            check_method(method, address, settings.require_billing_address)
            if method is not None
            else None
        )
        if (
            token is None
            and await uow.payment_methods.saved_card(call.merchant_id, account.account_id) is None
        ):
            raise Refused(Reason.NO_SAVED_CREDIT_CARD, "no credit card is saved on the account")
    kept_token: str | None = None
    kept_card = None
    if token is not None:
        kept = await processor.verify_and_save(
            token, f"auto:{account.account_id}:{token}"[:100], address
        )
        if not kept.result.approved or kept.token is None:
            raise PaymentFailed(kept.result)
        kept_token, kept_card = kept.token, kept.card
    async with units() as uow:
        if kept_token is not None:
            await uow.payment_methods.replace_saved_card(
                call.merchant_id,
                account.account_id,
                processor.name,
                kept_token,
                kept_card,
                method.cardholder_name if method else None,
                address,
                call.now,
            )
        await uow.auto_recharges.enable(
            call.merchant_id,
            account.account_id,
            account.card_number,
            settings.wallet,
            to_units(amount),
            to_units(threshold),
            call.now,
        )


async def disable(call: Call, card_number: str | None) -> None:
    account = await account_by_card(call, card_number)
    if not await call.uow.auto_recharges.disable(call.merchant_id, account.account_id, call.now):
        raise Refused(Reason.AUTO_RECHARGE_NOT_ENABLED)


async def status(call: Call, card_number: str | None) -> Status:
    account = await account_by_card(call, card_number)
    rule = await call.uow.auto_recharges.get(call.merchant_id, account.account_id)
    card = await call.uow.payment_methods.saved_card(call.merchant_id, account.account_id)
    monitored = await call.uow.recharge_monitors.get(call.merchant_id, account.account_id)
    if rule is None or not rule.enabled:
        return Status(False, None, None, card, monitored is not None)
    return Status(
        True,
        from_units(rule.amount_units, 2),
        from_units(rule.threshold_units, 2),
        card,
        monitored is not None,
    )


async def after_redemption(
    uow: UnitOfWork, program: Program, book: AccountBook, now: datetime
) -> None:
    """Mark a recharge due if the redemption left the stored value below a threshold
    (one statement, in the redemption's own transaction)."""
    settings = program.payments.recharge
    if settings is None or not program.payments.auto_recharge.enabled:
        return
    balance = book.balances().get(settings.wallet)
    # No guest may choose a threshold above max_threshold, so a balance at or above it
    # is below no rule's and the redemption is spared the statement (most are).
    if balance is None or balance >= to_units(program.payments.auto_recharge.max_threshold):
        return
    await uow.auto_recharges.make_due(
        program.merchant_id, book.account_id, settings.wallet, balance, now
    )
    await uow.recharge_monitors.raise_event(
        program.merchant_id, book.account_id, settings.wallet, balance, now
    )


def due_key(account_id: int, due_since: datetime | None) -> str:
    """One processor key per crossing: a retried pass charges the same recharge once."""
    return f"auto:{account_id}:{due_since.isoformat() if due_since else ''}"[:100]


async def make_due_recharges(units: Units, now: datetime) -> int:
    """Make every due automatic recharge; returns how many were credited."""
    async with units() as uow:
        due = await uow.auto_recharges.due()
    credited = 0
    for rule in due:
        async with units() as uow:
            program = await uow.programs.load(rule.merchant_id)
            card = await uow.payment_methods.saved_card(rule.merchant_id, rule.account_id)
        declined = True
        try:
            if card is None:
                raise Refused(Reason.NO_SAVED_CREDIT_CARD)
            order = PaymentOrder(
                kind=PaymentKind.AUTO_RECHARGE,
                card_number=rule.card_number,
                wallet_code=rule.wallet_code,
                amount=from_units(rule.amount_units, 2),
                token=card.token,
                idempotency_key=due_key(rule.account_id, rule.due_since),
                saved=True,
            )
            stamp = online(
                rule.merchant_id,
                None,
                now,
                program.payments.recharge.store if program.payments.recharge else None,
            )
            await charge_and_credit(units, program, processor_of(program), stamp, order)
            declined = False
            credited += 1
        except DomainError as refused:
            log.warning(
                "automatic recharge refused",
                extra={"fields": {"account_id": rule.account_id, "reason": str(refused.reason)}},
            )
        async with units() as uow:
            settled = await uow.auto_recharges.settle(
                rule,
                declined=declined,
                max_declines=program.payments.auto_recharge.max_declines,
                now=now,
            )
            if settled is not None and not settled.enabled:
                # In the transaction that switches it off: one e-mail, sent after commit.
                await _tell_switched_off(uow, program, settled, now)
        if settled is not None and not settled.enabled:
            log.warning(
                "automatic recharge switched off after repeated declines",
                extra={"fields": {"account_id": rule.account_id}},
            )
    return credited


async def _tell_switched_off(
    uow: UnitOfWork, program: Program, rule: AutoRecharge, now: datetime
) -> None:
    """E-mail the card's owner that automatic recharge is off after repeated declines."""
    account = await uow.accounts.get(rule.merchant_id, rule.account_id)
    user = (
        await uow.users.by_id(rule.merchant_id, account.user_id)
        if account is not None and account.user_id is not None
        else None
    )
    if user is None or not user.email:
        return
    body = "\n".join(
        [
            "Hello,",
            "",
            f"Automatic reloads of your {program.name} card ending in {rule.card_number[-4:]}"
            " are turned off: the saved credit card was declined"
            f" {program.payments.auto_recharge.max_declines} times in a row.",
            "Update the card in the app and turn automatic reload on again.",
        ]
    )
    await enqueue(
        uow,
        merchant_id=rule.merchant_id,
        channel="email",
        recipient=user.email,
        subject=f"Automatic reload turned off - {program.name}",
        body=body,
        now=now,
    )

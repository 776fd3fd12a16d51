"""Checkout sessions and the payment intents behind them (payment/createCheckoutSession,
paymentIntent, capturePaymentIntent, cancelPaymentIntent).

A checkout only ever *authorizes* at the processor: the guest pays on the processor's
page or widget, the amount is held, and nothing is credited. The server then captures
it (``capture``), and a capture of an intent opened for a RECHARGE credits the captured
amount to the card's stored value. The capture is one payment attempt of
``card_payments`` (kind ``intent_capture``): recorded, the processor's capture made
under the attempt's key, then the credit and the intent's CAPTURED mark in one unit of
work; a credit that fails gives the capture back (void, else refund) and the intent ends
CANCELED. An intent opened with captureMethod AUTOMATIC is captured by the server the
first time it reads the intent authorized (paymentIntent).

Every change of an intent is a move from the status it was read in, so of two calls
racing for one intent (two captures, a capture and a cancel) one wins and the other is
refused with ``payment.invalid_payment_intent_state``; a capture is made at most once
per intent and credited at most once. CAPTURING and CANCELING are the statuses of a
change under way: a process that dies in one leaves it there, and the next read of the
intent settles it from the capture's payment attempt (which reconciliation settles) or
from the processor.

An intent not captured within the merchant's ``intent_capture_days`` of its checkout
expires: a capture is refused from then on, and ``expire_stale`` (the outbox worker's
payment pass, and ``openpxs payments reconcile``) releases it at the processor as a
cancel does, so no authorization is held for a capture that can no longer come.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from openpxs.domain.errors import DomainError, InvalidQuantity, Reason, Refused
from openpxs.domain.money import from_units, parse_quantity, to_units
from openpxs.domain.payments import (
    AttemptState,
    CheckoutOpened,
    CheckoutRequest,
    IntentState,
    IntentStatus,
    Outcome,
    PaymentFailed,
    PaymentKind,
    Processor,
    ProcessorResult,
)
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services.card_payments import (
    PaymentOrder,
    Units,
    charge_and_fulfil,
    credit_value,
)
from openpxs.services.card_payments import configured_processor as processor_of
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.recharge import check_amount, paying_account, recharge_settings
from openpxs.store.repositories.payment_intents import NewIntent, StoredIntent
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.store.uow import UnitOfWork

# What capturing an intent opened for an order does besides taking the money, in the
# unit of work that marks the capture done (issuing a web store order's cards, say);
# its ledger transaction, if any.
OrderFulfilment = Callable[[UnitOfWork, CallStamp, PaymentAttempt], Awaitable[int | None]]

log = logging.getLogger("openpxs.payments")

PURPOSES = ("RECHARGE", "SALE")
# The shortest capture window a program may set (config.payments.intent_capture_days).
SHORTEST_CAPTURE_WINDOW = timedelta(days=1)
CAPTURE_METHODS = ("AUTOMATIC", "MANUAL")


class Status(StrEnum):
    CREATED = "CREATED"  # the checkout is open: the guest has not paid
    AUTHORIZED = "AUTHORIZED"  # the amount is held at the processor
    CAPTURING = "CAPTURING"  # a capture is under way
    CANCELING = "CANCELING"  # a release is under way
    CAPTURED = "CAPTURED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


# Intents that still hold (or may yet hold) an authorization nobody has taken.
OPEN = (Status.CREATED, Status.AUTHORIZED)
# What the reply's status says: a change under way is PROCESSING.
WIRE_STATUS = {Status.CAPTURING: "PROCESSING", Status.CANCELING: "PROCESSING"}


def wire_status(status: str) -> str:
    return WIRE_STATUS.get(Status(status), status)


@dataclass(frozen=True)
class IntentView:
    intent: StoredIntent
    # The processor's outcome (the capture's, or the authorization's), when known.
    result: ProcessorResult | None = None
    opened: CheckoutOpened | None = None


def capture_key(intent: StoredIntent) -> str:
    """The key of the intent's current capture try (its payment attempt)."""
    return f"intent:{intent.merchant_id}:{intent.id}:capture:{intent.capture_tries}"


# ---------------------------------------------------------------------------------------
# Opening a checkout


async def open_checkout(
    call: Call,
    units: Units,
    *,
    card_number: str | None,
    raw_amount: object,
    purpose: str | None,
    capture_method: str | None,
    return_url: str | None,
    retry_key: str | None,
) -> IntentView:
    processor = processor_of(call.program)
    wanted = (purpose or "").strip().upper()
    method = (capture_method or "AUTOMATIC").strip().upper()
    account_id: int | None = None
    number: str | None = None
    wallet = 1
    async with units() as uow:
        checking = replace(call, uow=uow)
        if card_number:
            # A card the caller may not reach is not found, whatever else is wrong.
            await account_by_card(checking, card_number)
        if wanted not in PURPOSES:
            raise Refused(Reason.CHECKOUT_SESSION_ERROR, "purpose must be RECHARGE or SALE")
        if method not in CAPTURE_METHODS:
            raise Refused(
                Reason.CHECKOUT_SESSION_ERROR, "captureMethod must be AUTOMATIC or MANUAL"
            )
        if wanted == "RECHARGE":
            # Value will go on the card: the recharge rules hold before anyone pays.
            settings = recharge_settings(call.program.payments)
            account = await paying_account(checking, card_number)
            amount = check_amount(raw_amount, settings)
            account_id, number, wallet = account.account_id, account.card_number, settings.wallet
        else:
            if raw_amount is None:
                raise InvalidQuantity("amount is required")
            amount = parse_quantity(raw_amount, 2)
            if card_number:
                account = await account_by_card(checking, card_number)
                account_id, number = account.account_id, account.card_number
    key = (
        f"checkout:{call.integration.id}:{retry_key}"
        if retry_key
        else f"checkout:{uuid.uuid4().hex}"
    )[:100]
    currency = call.program.payments.currency
    try:
        opened = await processor.open_checkout(CheckoutRequest(amount, currency, key, return_url))
    except Exception:
        log.exception("card processor %s could not open a checkout", processor.name)
        opened = CheckoutOpened(ProcessorResult(Outcome.TIMEOUT))
    if not opened.result.approved or opened.reference is None:
        raise Refused(
            Reason.CHECKOUT_SESSION_ERROR,
            opened.result.message or "the processor did not open a checkout",
        )
    async with units() as uow:
        intent = await uow.payment_intents.record(
            NewIntent(
                merchant_id=call.merchant_id,
                public_id=f"pi_{uuid.uuid4().hex}",
                purpose=wanted,
                capture_method=method,
                amount_units=to_units(amount),
                currency=currency,
                account_id=account_id,
                card_number=number,
                wallet_code=wallet,
                processor=processor.name,
                processor_reference=opened.reference,
                session_id=opened.session_id,
                url=opened.url,
                open_key=key,
                integration_id=call.integration.id,
                expires_at=opened.expires_at,
            ),
            Status.CREATED,
            call.now,
        )
    return IntentView(intent, None, opened)


# ---------------------------------------------------------------------------------------
# Reading, capturing, cancelling


async def read_intent(call: Call, units: Units, public_id: str | None) -> IntentView:
    """The intent, brought up to date; an AUTOMATIC one found authorized is captured."""
    processor = processor_of(call.program)
    view = await _current(call, units, processor, public_id)
    if view.intent.status == Status.AUTHORIZED and view.intent.capture_method == "AUTOMATIC":
        try:
            return await _capture(call, units, processor, view.intent, None)
        except DomainError as refused:
            log.info("automatic capture of intent %s refused: %s", view.intent.id, refused)
            return await _current(call, units, processor, public_id)
    return view


async def capture(
    call: Call, units: Units, public_id: str | None, raw_amount: object
) -> IntentView:
    processor = processor_of(call.program)
    view = await _current(call, units, processor, public_id)
    return await _capture(call, units, processor, view.intent, raw_amount)


async def capture_order(
    call: Call, units: Units, public_id: str, fulfil: OrderFulfilment, store: str | None
) -> IntentView:
    """Capture a SALE intent's whole amount and fulfil the order it paid for, both or
    neither: a fulfilment that fails gives the capture back (the intent ends CANCELED)."""
    processor = processor_of(call.program)
    view = await _current(call, units, processor, public_id)
    if view.intent.purpose != "SALE":
        raise _wrong_state(view.intent)
    return await _capture(
        call, units, processor, view.intent, None, order_fulfilment=fulfil, store=store
    )


async def cancel(call: Call, units: Units, public_id: str | None) -> IntentView:
    """Release an intent not captured: the processor voids it, no value is applied."""
    processor = processor_of(call.program)
    intent = (await _current(call, units, processor, public_id)).intent
    if intent.status not in OPEN:
        raise _wrong_state(intent)
    done, result = await _release(units, processor, intent, call.now)
    if not result.approved:
        raise PaymentFailed(result)
    assert done is not None
    return IntentView(done)  # a release charges nothing: no chargeResponse


async def _release(
    units: Units, processor: Processor, intent: StoredIntent, now: datetime
) -> tuple[StoredIntent | None, ProcessorResult]:
    """Void an open intent at the processor: CANCELED when it did, back to the status it
    was read in when it refused, still CANCELING (for the next read to settle) when its
    answer was lost. Refused when another call changed the intent first."""
    async with units() as uow:
        claimed = await uow.payment_intents.move(intent, Status.CANCELING, now)
    if claimed is None:
        raise _changing()
    key = f"intent:{intent.merchant_id}:{intent.id}:cancel"
    try:
        result = await processor.void(intent.processor_reference, key)
    except Exception:
        log.exception("card processor %s failed to release intent %s", processor.name, intent.id)
        result = ProcessorResult(Outcome.TIMEOUT, message="The processor did not answer")
    if result.unknown:
        raise PaymentFailed(result)  # stays CANCELING; the next read settles it
    async with units() as uow:
        target = Status.CANCELED if result.approved else Status(intent.status)
        done = await uow.payment_intents.move(claimed, target, now)
    return done, result


def capture_deadline(program: Program, intent: StoredIntent) -> datetime:
    """When the intent expires if it is not captured by then."""
    return intent.created_at + timedelta(days=program.payments.intent_capture_days)


async def expire_stale(units: Units, now: datetime, *, batch: int = 100) -> int:
    """Release every open intent past its merchant's capture window; returns how many
    were released. Safe from several workers at once: each intent is claimed with the
    guarded move a cancel makes, so of a sweep and a capture or cancel one wins."""
    released = 0
    async with units() as uow:
        merchants = await uow.payment_intents.merchants_open_before(
            OPEN, now - SHORTEST_CAPTURE_WINDOW
        )
    for merchant_id in merchants:
        try:
            async with units() as uow:
                program = await uow.programs.load(merchant_id)
                window = timedelta(days=program.payments.intent_capture_days)
                stale = await uow.payment_intents.open_before(
                    merchant_id, OPEN, now - window, batch
                )
            if not stale:
                continue
            processor = processor_of(program)
        except Exception:
            log.exception("payment intents of merchant %s could not be expired", merchant_id)
            continue
        for intent in stale:
            try:
                done, result = await _release(units, processor, intent, now)
            except DomainError as busy:
                log.info("payment intent %s not expired now: %s", intent.id, busy)
                continue
            if result.approved and done is not None:
                released += 1
                log.info("payment intent %s expired uncaptured and was released", intent.id)
            else:
                log.warning("the processor refused to release expired intent %s", intent.id)
    return released


async def _capture(
    call: Call,
    units: Units,
    processor: Processor,
    intent: StoredIntent,
    raw_amount: object,
    *,
    order_fulfilment: OrderFulfilment | None = None,
    store: str | None = None,
) -> IntentView:
    if intent.status != Status.AUTHORIZED:
        raise _wrong_state(intent)
    deadline = capture_deadline(call.program, intent)
    if call.now >= deadline:
        # Past its window the authorization may be gone: it is released, not taken.
        raise Refused(
            Reason.INVALID_PAYMENT_INTENT_STATE,
            f"the payment intent expired at {deadline.isoformat()} without a capture",
        )
    amount = (
        from_units(intent.amount_units, 2) if raw_amount is None else parse_quantity(raw_amount, 2)
    )
    if to_units(amount) > intent.amount_units:
        raise InvalidQuantity("the amount is more than was authorized")
    async with units() as uow:
        claimed = await uow.payment_intents.move(
            intent, Status.CAPTURING, call.now, next_capture=True
        )
    if claimed is None:
        raise _changing()
    credits = claimed.purpose == "RECHARGE" and claimed.card_number is not None
    settings = call.program.payments.recharge
    if store is None and settings is not None:
        store = settings.store
    stamp = call.online_stamp(store)
    order = PaymentOrder(
        kind=PaymentKind.INTENT_CAPTURE if credits else PaymentKind.SALE,
        card_number=claimed.card_number if credits and claimed.card_number else claimed.public_id,
        wallet_code=claimed.wallet_code,
        amount=amount,
        token=claimed.processor_reference,
        idempotency_key=capture_key(claimed),
        capture_of=claimed.processor_reference,
    )

    async def fulfil(uow: UnitOfWork, attempt: PaymentAttempt) -> int | None:
        txn = None
        if credits:
            txn, _ = await credit_value(uow, call.program, stamp, attempt)
        elif order_fulfilment is not None:
            txn = await order_fulfilment(uow, stamp, attempt)
        done = await uow.payment_intents.move(
            claimed, Status.CAPTURED, stamp.now, captured_units=attempt.amount_units
        )
        if done is None:
            raise RuntimeError(f"payment intent {claimed.id} changed during its capture")
        return txn

    try:
        paid = await charge_and_fulfil(units, call.program, processor, stamp, order, fulfil)
    except DomainError:
        await _settle_capture(units, stamp, claimed)
        raise
    async with units() as uow:
        found = await uow.payment_intents.find(call.merchant_id, claimed.public_id)
    assert found is not None
    return IntentView(found, paid.result)


async def _current(
    call: Call, units: Units, processor: Processor, public_id: str | None
) -> IntentView:
    """The intent the caller may reach, with its open status refreshed."""
    async with units() as uow:
        intent = await uow.payment_intents.find(call.merchant_id, public_id) if public_id else None
        if intent is None:
            raise Refused(Reason.PAYMENT_INTENT_NOT_FOUND)
        if call.principal.is_guest:
            # A guest reaches only the intents of their own cards.
            try:
                if intent.card_number is None:
                    raise Refused(Reason.CARD_NOT_FOUND)
                await account_by_card(replace(call, uow=uow), intent.card_number)
            except DomainError:
                raise Refused(Reason.PAYMENT_INTENT_NOT_FOUND) from None
        attempt = await uow.payment_attempts.by_key(call.merchant_id, capture_key(intent))
    stamp = call.online_stamp()
    if intent.status == Status.CAPTURING:
        intent = await _settle_capture(units, stamp, intent)
    if intent.status in (Status.CAPTURED, Status.CAPTURING):
        return IntentView(intent, _result_of(attempt) if attempt is not None else None)
    if intent.status not in (Status.CREATED, Status.AUTHORIZED, Status.CANCELING):
        return IntentView(intent, _result_of(attempt) if attempt is not None else None)
    try:
        state = await processor.intent_state(intent.processor_reference)
    except Exception:
        log.exception(
            "card processor %s could not be asked about intent %s", processor.name, intent.id
        )
        return IntentView(intent)
    target = _status_for(intent, state)
    if target is not None and target != intent.status:
        async with units() as uow:
            moved = await uow.payment_intents.move(
                intent,
                target,
                call.now,
                amount_units=(
                    to_units(state.amount)
                    if target == Status.AUTHORIZED and state.amount is not None
                    else None
                ),
            )
            intent = moved or await _reload(uow, intent)
    return IntentView(intent, state.result)


def _status_for(intent: StoredIntent, state: IntentState) -> Status | None:
    """The status the processor's answer moves an open intent to (None: no change)."""
    if state.result is not None and state.result.unknown:
        return None
    if state.status is IntentStatus.CANCELED:
        return Status.CANCELED
    if state.status is IntentStatus.FAILED:
        return Status.FAILED
    if state.status is IntentStatus.AUTHORIZED:
        return Status.AUTHORIZED
    if state.status is IntentStatus.OPEN:
        return Status.CREATED
    # Captured at the processor but not by this server: left for an operator (no value
    # is credited for a capture the server did not make).
    log.warning("payment intent %s was captured outside this server", intent.id)
    return None


async def _settle_capture(units: Units, stamp: CallStamp, intent: StoredIntent) -> StoredIntent:
    """A CAPTURING intent from its capture attempt: a capture given back ends the intent
    CANCELED (the void released the authorization); one that took nothing leaves it
    AUTHORIZED for another try; an attempt still open leaves it CAPTURING."""
    async with units() as uow:
        fresh = await _reload(uow, intent)
        if fresh.status != Status.CAPTURING:
            return fresh
        attempt = await uow.payment_attempts.by_key(fresh.merchant_id, capture_key(fresh))
        if attempt is None or attempt.state is AttemptState.FAILED:
            target = Status.AUTHORIZED
        elif attempt.state is AttemptState.COMPENSATED:
            target = Status.CANCELED
        else:
            return fresh
        return await uow.payment_intents.move(fresh, target, stamp.now) or await _reload(uow, fresh)


async def _reload(uow: UnitOfWork, intent: StoredIntent) -> StoredIntent:
    found = await uow.payment_intents.find(intent.merchant_id, intent.public_id)
    assert found is not None
    return found


def _result_of(attempt: PaymentAttempt) -> ProcessorResult:
    return ProcessorResult(
        Outcome(attempt.outcome) if attempt.outcome else Outcome.TIMEOUT,
        attempt.processor_reference,
        from_units(attempt.amount_units, 2),
        code=attempt.processor_code,
        message=attempt.processor_message,
        card=attempt.card,
        auth_code=attempt.auth_code,
    )


def _wrong_state(intent: StoredIntent) -> Refused:
    return Refused(
        Reason.INVALID_PAYMENT_INTENT_STATE, f"the payment intent is {wire_status(intent.status)}"
    )


def _changing() -> Refused:
    return Refused(
        Reason.INVALID_PAYMENT_INTENT_STATE, "another call is changing the payment intent"
    )

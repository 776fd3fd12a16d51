"""Charging a card and crediting stored value for it, as one recorded payment attempt.

The money moves outside the database, so no single transaction can hold both sides.
Each step is therefore committed on its own, and the attempt row says how far it got:

1. ``pending`` is recorded (and committed) before the processor is called, under the
   idempotency key the processor will see;
2. the processor charges; a decline marks the attempt ``failed`` and nothing else
   happens; an approval marks it ``charged``;
3. in one unit of work the value is credited through the ledger and the attempt marked
   ``credited``: both or neither;
4. if the credit is refused or fails after an approved charge, the charge is voided (or,
   when the processor will not void it, refunded) and the attempt marked
   ``compensated`` before the caller hears anything.

An order that pays for something else than value on an existing card (a web store
order's new cards, a subscription period) brings its own step 3, ``fulfil``
(``charge_and_fulfil``), run in the same unit of work as the ``credited`` mark;
everything else is the same.

A process that dies between two steps leaves an attempt in ``pending`` or ``charged``;
``reconcile`` (run by ``openpxs payments reconcile`` and the outbox worker) settles it:
a ``charged`` attempt is finished (credited, or compensated when the card can no longer
take the value); a ``pending`` one is settled by asking the processor what the key did -
nothing (``failed``) or a charge whose caller was never told of it (``compensated``).
A ``charged`` attempt with a step of its own (a sale, a subscription) is compensated: its
caller heard of a failure, and fulfilling it long after would surprise everyone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from openpxs.domain.cards import CardRef, CardStatus, require_active
from openpxs.domain.errors import CardNotActive, DomainError
from openpxs.domain.money import STORAGE_SCALE, from_units, to_units
from openpxs.domain.moves import Move, apply_moves, check_moves
from openpxs.domain.payments import (
    CREDITS_AMOUNT,
    NOT_CHARGED,
    AttemptState,
    BillingAddress,
    ChargeRequest,
    Outcome,
    PaymentFailed,
    PaymentKind,
    Processor,
    ProcessorResult,
)
from openpxs.domain.program import PROGRAM_CODES_ALL, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.processors import processor_for
from openpxs.services import webhooks
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.store.repositories.payments import NewAttempt, PaymentAttempt
from openpxs.store.uow import UnitOfWork

log = logging.getLogger("openpxs.payments")

# A unit of work of its own, committed when the block ends (store.uow.unit_of_work).
Units = Callable[[], AbstractAsyncContextManager[UnitOfWork]]

# Reconciliation leaves alone attempts younger than this: their call may still be running.
RECONCILE_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class PaymentOrder:
    """One charge-and-credit: what to charge, with what, and what to credit."""

    kind: PaymentKind
    card_number: str
    wallet_code: int
    amount: Decimal
    token: str
    idempotency_key: str
    saved: bool = False
    address: BillingAddress | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # The processor's authorization to capture instead of charging the token: the
    # capture of a payment intent (services.payment_intents).
    capture_of: str | None = None


@dataclass(frozen=True)
class Paid:
    attempt: PaymentAttempt
    # The balances after the credit; None when an earlier attempt was replayed.
    view: AccountView | None
    result: ProcessorResult


async def charge_and_credit(
    units: Units,
    program: Program,
    processor: Processor,
    stamp: CallStamp,
    order: PaymentOrder,
) -> Paid:
    """Charge the order's amount and credit it to the card's wallet (see the module).

    An order whose idempotency key an attempt already has is that attempt again: its
    outcome is answered, and no money moves twice."""
    charged = await _charge(units, program, processor, stamp, order)
    if isinstance(charged, Paid):
        return charged
    attempt, result = charged
    try:
        attempt, view = await _credit(units, program, stamp, attempt)
    except Exception as failure:
        await _give_back(units, processor, attempt, stamp.now, failure)
    return Paid(attempt, view, result)


# What a charge buys, given in the unit of work that marks its attempt credited: the
# ledger transaction it wrote, if any. A refusal or failure gives the charge back.
Fulfil = Callable[[UnitOfWork, PaymentAttempt], Awaitable[int | None]]


async def charge_and_fulfil(
    units: Units,
    program: Program,
    processor: Processor,
    stamp: CallStamp,
    order: PaymentOrder,
    fulfil: Fulfil,
) -> Paid:
    """Charge the order, then run ``fulfil`` and mark the attempt credited in one unit of
    work: both or neither. The same pending -> charged -> credited (or compensated)
    steps as ``charge_and_credit``, for charges that buy something other than the
    amount as stored value (a web store order's cards, a subscription). Reconciliation
    gives back such a charge left ``charged`` by a dead process instead of fulfilling it
    late."""
    charged = await _charge(units, program, processor, stamp, order)
    if isinstance(charged, Paid):
        return charged
    attempt, result = charged
    try:
        async with units() as uow:
            txn = await fulfil(uow, attempt)
            attempt = await uow.payment_attempts.move(
                attempt, AttemptState.CREDITED, stamp.now, transaction_id=txn
            )
    except Exception as failure:
        await _give_back(units, processor, attempt, stamp.now, failure)
    return Paid(attempt, None, result)


async def _give_back(
    units: Units, processor: Processor, attempt: PaymentAttempt, now: datetime, failure: Exception
) -> NoReturn:
    """Compensate an approved charge whose value could not be given, then raise: the
    refusal itself, or a payment failure for anything unexpected."""
    await _compensate(units, processor, attempt, now)
    if isinstance(failure, DomainError):
        raise failure
    raise PaymentFailed(
        ProcessorResult(Outcome.PROCESSOR_ERROR, code="credit_failed"),
        "The card could not be credited; the charge was cancelled",
    ) from failure


async def _charge(
    units: Units, program: Program, processor: Processor, stamp: CallStamp, order: PaymentOrder
) -> Paid | tuple[PaymentAttempt, ProcessorResult]:
    """Steps 1 and 2: the attempt recorded, the processor charged, the attempt marked
    charged. An order whose idempotency key an attempt already has is that attempt
    again (a Paid); a charge that did not go through raises PaymentFailed."""
    async with units() as uow:
        earlier = await uow.payment_attempts.by_key(program.merchant_id, order.idempotency_key)
    if earlier is not None:
        return _replayed(earlier)
    attempt, fresh = await _record(units, program, processor, stamp, order)
    if not fresh:  # the same order, sent again while its first attempt was recorded
        return _replayed(attempt)
    result = await _call(processor, _charge_request(program, order, attempt), order.capture_of)
    if result.unknown:
        # The answer was lost: ask what the key did before deciding anything.
        result = await _ask(processor, attempt) or ProcessorResult(
            Outcome.PROCESSOR_ERROR, message="The processor never received the charge"
        )
    if not result.approved:
        if result.unknown:
            # Still unknown: leave it pending for reconciliation, which will void any
            # charge it finds. The caller hears that the payment did not go through.
            raise PaymentFailed(result)
        async with units() as uow:
            await uow.payment_attempts.move(attempt, AttemptState.FAILED, stamp.now, result=result)
        raise PaymentFailed(result)
    async with units() as uow:
        attempt = await uow.payment_attempts.move(
            attempt, AttemptState.CHARGED, stamp.now, result=result
        )
    return attempt, result


def answer_of(attempt: PaymentAttempt) -> Paid:
    """What an attempt answers when its idempotency key comes again: its outcome when it
    went through, else the PaymentFailed it ended with (or that it is still open)."""
    return _replayed(attempt)


def _replayed(attempt: PaymentAttempt) -> Paid:
    result = ProcessorResult(
        Outcome(attempt.outcome) if attempt.outcome else Outcome.TIMEOUT,
        attempt.processor_reference,
        from_units(attempt.amount_units, 2),
        code=attempt.processor_code,
        message=attempt.processor_message,
        card=attempt.card,
        auth_code=attempt.auth_code,
    )
    if attempt.state is AttemptState.CREDITED:
        return Paid(attempt, None, result)
    if attempt.state is AttemptState.FAILED:
        raise PaymentFailed(result)
    if attempt.state is AttemptState.COMPENSATED:
        raise PaymentFailed(
            ProcessorResult(Outcome.PROCESSOR_ERROR, code="credit_failed"),
            "The card could not be credited; the charge was cancelled",
        )
    raise PaymentFailed(
        ProcessorResult(Outcome.PROCESSOR_ERROR, code="in_progress"),
        "The first attempt with this key is not finished yet",
    )


async def _record(
    units: Units, program: Program, processor: Processor, stamp: CallStamp, order: PaymentOrder
) -> tuple[PaymentAttempt, bool]:
    """The order's new pending attempt and True, or the attempt that already holds its
    idempotency key and False."""
    async with units() as uow:
        account_id, card_number = None, order.card_number
        if order.kind is not PaymentKind.SALE:  # a sale's card_number is its order number
            card = await find_card(uow, program.merchant_id, CardRef(order.card_number))
            if card.status != CardStatus.ACTIVE:
                raise CardNotActive()
            if order.kind in CREDITS_AMOUNT or order.kind is PaymentKind.INTENT_CAPTURE:
                # The amount must be one the wallet takes, before any money moves.
                check_moves(
                    program,
                    card.template_code,
                    PROGRAM_CODES_ALL,
                    [Move(order.wallet_code, order.amount)],
                    stamp.now,
                )
            account_id, card_number = card.account_id, card.number
        return await uow.payment_attempts.record(
            NewAttempt(
                merchant_id=program.merchant_id,
                kind=order.kind,
                account_id=account_id,
                card_number=card_number,
                wallet_code=order.wallet_code,
                amount_units=to_units(order.amount),
                currency=program.payments.currency,
                processor=processor.name,
                idempotency_key=order.idempotency_key,
                store_code=stamp.store_code,
                integration_id=stamp.integration_id,
            ),
            stamp.now,
        )


def _charge_request(
    program: Program, order: PaymentOrder, attempt: PaymentAttempt
) -> ChargeRequest:
    return ChargeRequest(
        amount=order.amount,
        currency=program.payments.currency,
        token=order.token,
        idempotency_key=attempt.idempotency_key,
        saved=order.saved,
        address=order.address,
        metadata=order.metadata,
    )


async def _call(
    processor: Processor, request: ChargeRequest, capture_of: str | None = None
) -> ProcessorResult:
    try:
        if capture_of is not None:
            return await processor.capture(capture_of, request.amount, request.idempotency_key)
        return await processor.charge(request)
    except Exception:
        # A broken connection is a lost answer: the processor may have charged.
        log.exception("card processor %s failed; the charge's outcome is unknown", processor.name)
        return ProcessorResult(Outcome.TIMEOUT, message="The processor did not answer")


async def _ask(processor: Processor, attempt: PaymentAttempt) -> ProcessorResult | None:
    """What the processor did under the attempt's key: None when it never saw it, a
    TIMEOUT result when it cannot be asked now."""
    try:
        return await processor.lookup(attempt.idempotency_key)
    except Exception:
        log.exception(
            "card processor %s could not be asked about attempt %s", processor.name, attempt.id
        )
        return ProcessorResult(Outcome.TIMEOUT, message="The processor did not answer")


async def _credit(
    units: Units, program: Program, stamp: CallStamp, attempt: PaymentAttempt
) -> tuple[PaymentAttempt, AccountView]:
    """Credit the value and mark the attempt credited, in one unit of work."""
    async with units() as uow:
        txn, view = await credit_value(uow, program, stamp, attempt)
        moved = await uow.payment_attempts.move(
            attempt, AttemptState.CREDITED, stamp.now, transaction_id=txn
        )
        return moved, view


async def credit_value(
    uow: UnitOfWork, program: Program, stamp: CallStamp, attempt: PaymentAttempt
) -> tuple[int, AccountView]:
    """Credit the attempt's amount to its card's wallet as a recharge, in the caller's
    unit of work: the ledger transaction and the balances after it."""
    card = await find_card(uow, program.merchant_id, CardRef(attempt.card_number), lock=True)
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive()
    account_id = require_active(card)
    wallet = program.wallets[attempt.wallet_code]
    added = check_moves(
        program,
        card.template_code,
        PROGRAM_CODES_ALL,
        [Move(attempt.wallet_code, from_units(attempt.amount_units, wallet.scale))],
        stamp.now,
    )
    await lock_active_account(uow, program.merchant_id, account_id)
    txn = await uow.transactions.record(
        stamp,
        Kind.RECHARGE,
        account_id=account_id,
        card_number=card.number,
        comment=f"card payment {attempt.id}",
    )
    book = await open_settled_book(uow, program, account_id, stamp)
    apply_moves(book, program, added, [], stamp.now)
    await uow.ledger.write([book], txn, stamp.now)
    # A completed recharge settles the card's pending threshold-monitoring event.
    await uow.recharge_monitors.settle(program.merchant_id, account_id, stamp.now)
    view = view_of(book, program, card.number, card.template_code)
    await webhooks.announce_value_moves(uow, program, stamp.now)
    return txn, view


async def _compensate(
    units: Units, processor: Processor, attempt: PaymentAttempt, now: datetime
) -> PaymentAttempt:
    """Give the money back (void, else refund) and mark the attempt compensated. If the
    processor refuses both, the attempt stays open for reconciliation to try again."""
    reference = attempt.processor_reference
    if reference is None:
        found = await _ask(processor, attempt)
        if found is None or found.outcome in NOT_CHARGED:
            async with units() as uow:
                fresh = await uow.payment_attempts.get(attempt.merchant_id, attempt.id, lock=True)
                return await uow.payment_attempts.move(
                    fresh, AttemptState.FAILED, now, outcome=(found or _UNSEEN).outcome.value
                )
        reference = found.reference
    if reference is None:
        raise PaymentFailed(ProcessorResult(Outcome.PROCESSOR_ERROR), "The charge is unknown")
    amount = from_units(attempt.amount_units, STORAGE_SCALE)
    done = await _safely(processor.void(reference, f"{attempt.idempotency_key}:void"))
    if not done.approved:
        done = await _safely(
            processor.refund(reference, amount, f"{attempt.idempotency_key}:refund")
        )
    if not done.approved:
        log.error(
            "payment attempt %s: the processor would neither void nor refund charge %s (%s);"
            " reconciliation will try again",
            attempt.id,
            reference,
            done.code or done.outcome,
        )
        raise PaymentFailed(done, "The charge could not be cancelled yet")
    async with units() as uow:
        fresh = await uow.payment_attempts.get(attempt.merchant_id, attempt.id, lock=True)
        return await uow.payment_attempts.move(
            fresh, AttemptState.COMPENSATED, now, processor_reference=reference
        )


_UNSEEN = ProcessorResult(Outcome.PROCESSOR_ERROR, code="not_received")


async def _safely(call: Awaitable[ProcessorResult]) -> ProcessorResult:
    try:
        return await call
    except Exception:
        log.exception("card processor call failed")
        return ProcessorResult(Outcome.TIMEOUT)


# ---------------------------------------------------------------------------------------
# Reconciliation


@dataclass
class ReconcileReport:
    credited: int = 0
    compensated: int = 0
    failed: int = 0
    left_open: int = 0


def configured_processor(program: Program) -> Processor:
    """The processor the merchant's program names (PaymentsNotConfigured without one)."""
    return processor_for(program.merchant_id, program.payments)


async def reconcile(
    units: Units,
    now: datetime,
    *,
    processors: Callable[[Program], Processor] = configured_processor,
    grace: timedelta = RECONCILE_GRACE,
) -> ReconcileReport:
    """Settle every attempt left open since before ``now - grace`` (see the module)."""
    report = ReconcileReport()
    async with units() as uow:
        open_attempts = await uow.payment_attempts.open_before(now - grace)
    for attempt in open_attempts:
        async with units() as uow:
            program = await uow.programs.load(attempt.merchant_id)
        try:
            processor = processors(program)
            settled = await _settle(units, program, processor, attempt, now)
        except Exception:
            log.exception("payment attempt %s could not be settled yet", attempt.id)
            report.left_open += 1
            continue
        if settled.state is AttemptState.CREDITED:
            report.credited += 1
        elif settled.state is AttemptState.COMPENSATED:
            report.compensated += 1
        elif settled.state is AttemptState.FAILED:
            report.failed += 1
        else:
            report.left_open += 1
    return report


async def _settle(
    units: Units, program: Program, processor: Processor, attempt: PaymentAttempt, now: datetime
) -> PaymentAttempt:
    if attempt.state is AttemptState.CHARGED and attempt.kind not in CREDITS_AMOUNT:
        # What such a charge buys was never given (a subscription not started or not
        # renewed): its caller heard of a failure, so the money goes back.
        return await _compensate(units, processor, attempt, now)
    if attempt.state is AttemptState.CHARGED:
        stamp = CallStamp(
            attempt.merchant_id,
            attempt.store_code,
            None,
            None,
            None,
            None,
            attempt.integration_id,
            now,
        )
        try:
            return (await _credit(units, program, stamp, attempt))[0]
        except DomainError:
            # The card can no longer take the value (disabled, closed...): give it back.
            return await _compensate(units, processor, attempt, now)
    # Pending: the caller was never told of a charge, so any charge is given back.
    found = await _ask(processor, attempt)
    if found is not None and found.unknown:
        raise RuntimeError("the processor cannot be asked now")
    if found is not None and found.approved:
        async with units() as uow:
            charged = await uow.payment_attempts.move(
                attempt, AttemptState.CHARGED, now, result=found
            )
        return await _compensate(units, processor, charged, now)
    async with units() as uow:
        return await uow.payment_attempts.move(
            attempt,
            AttemptState.FAILED,
            now,
            outcome=(found or _UNSEEN).outcome.value,
            processor_code=(found or _UNSEEN).code,
        )

"""Subscription Service use cases: subscribe, renew on schedule, change the paying card
or the plan, unsubscribe.

Plans live in the program file (``payments.subscriptions``): a price, a period and what
each paid period grants (wallet value through the ledger). Money follows the card
payment rules (``services.card_payments``): the charge comes first, as a recorded
payment attempt; only an approved charge is fulfilled - the period's grant journaled as
a ``subscriptionGrant`` transaction and the subscription row written - in one unit of
work, and a fulfilment that fails gives the charge back before anyone hears of it.

A one-time card token cannot be charged again, so a new card (type CC) is first kept
with the processor (verify and save) and every charge uses the kept token. Renewals
are made by ``renew_due`` (the outbox worker, and ``openpxs subscriptions renew``),
each under an idempotency key of its own period and try, so running it twice or on two
servers charges once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from openpxs.config.payments import SubscriptionPlan, SubscriptionsConfig
from openpxs.domain.cards import CardRef, require_active
from openpxs.domain.errors import CardNotActive, DomainError, Reason, Refused
from openpxs.domain.moves import Move, apply_moves, check_moves
from openpxs.domain.payments import BillingAddress, PaymentFailed, PaymentKind, Processor
from openpxs.domain.program import PROGRAM_CODES_ALL, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.subscriptions import SubscriptionStatus, after_decline, next_renewal
from openpxs.domain.transactions import Kind
from openpxs.messaging.outbox import enqueue
from openpxs.services import inbox
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.services.card_payments import (
    PaymentOrder,
    Units,
    answer_of,
    charge_and_fulfil,
    configured_processor,
)
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card
from openpxs.store.repositories.payments import PaymentAttempt
from openpxs.store.repositories.subscriptions import PaidCard, Subscription
from openpxs.store.uow import UnitOfWork

log = logging.getLogger("openpxs.subscriptions")

LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


@dataclass(frozen=True)
class Method:
    """The request's paymentMethod: a new card's token (CC) or the saved card (SAVED)."""

    type: str | None
    token: str | None = None
    payment_method_id: str | None = None
    address: BillingAddress | None = None


def settings(program: Program) -> SubscriptionsConfig:
    config = program.payments.subscriptions
    if config is None:
        raise Refused(Reason.INVALID_SUBSCRIPTION_CODE, "this merchant offers no subscriptions")
    return config


def plan_of(program: Program, code: str | None) -> SubscriptionPlan | None:
    config = program.payments.subscriptions
    if config is None or not code:
        return None
    return next((p for p in config.plans if p.code == code.strip()), None)


def _plan_for(program: Program, code: str | None, template_code: int) -> SubscriptionPlan:
    """The plan named, if the card can hold what it grants (refused before any charge)."""
    settings(program)
    plan = plan_of(program, code)
    if plan is None:
        raise Refused(Reason.INVALID_SUBSCRIPTION_CODE)
    holds = program.templates[template_code].programs
    if any(program.wallets[g.wallet].program not in holds for g in plan.grants):
        raise Refused(
            Reason.INVALID_SUBSCRIPTION_CODE, "this card cannot hold what the plan grants"
        )
    return plan


async def _subscriber(call: Call, card_number: str | None) -> AccountRef:
    account = await account_by_card(call, card_number)
    if not account.in_use:
        raise CardNotActive()
    return account


async def _kept_card(
    units: Units, call: Call, processor: Processor, account_id: int, method: Method | None, key: str
) -> PaidCard:
    """The card future charges use: the account's saved card, or a new card's token
    kept with the processor first (no money moves; a refused card is a decline)."""
    kind = (method.type or "").strip().upper() if method is not None else ""
    if method is None or not kind:
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "paymentMethod.type is required")
    if kind in ("SAVED", "SAVED_CC"):
        async with units() as uow:
            kept = await uow.payment_methods.saved_card(call.merchant_id, account_id)
        if kept is None or kept.processor != processor.name:
            raise Refused(Reason.INVALID_PAYMENT_METHOD, "no credit card is saved on the account")
        return PaidCard(processor.name, kept.token, kept.card)
    if kind != "CC":
        raise Refused(Reason.INVALID_PAYMENT_METHOD, f"unknown paymentMethod.type {method.type!r}")
    token = (method.token or "").strip()
    if not token or token.replace(" ", "").replace("-", "").isdigit():
        # Empty, or a card number where a token belongs: never passed on or kept.
        raise Refused(Reason.INVALID_PAYMENT_METHOD, "send a processor token")
    saved = await processor.verify_and_save(token, f"{key}:save", method.address)
    if not saved.result.approved or saved.token is None:
        raise PaymentFailed(saved.result)
    return PaidCard(processor.name, saved.token, saved.card)


async def _grant(
    uow: UnitOfWork, program: Program, stamp: CallStamp, card_number: str, plan: SubscriptionPlan
) -> int:
    """Add one period's grants to the card's account, journaled; the transaction id."""
    card = await find_card(uow, program.merchant_id, CardRef(card_number), lock=True)
    account_id = require_active(card)
    added = check_moves(
        program,
        card.template_code,
        PROGRAM_CODES_ALL,
        [Move(g.wallet, g.quantity) for g in plan.grants],
        stamp.now,
    )
    await lock_active_account(uow, program.merchant_id, account_id)
    book = await open_settled_book(uow, program, account_id, stamp)
    apply_moves(book, program, added, [], stamp.now)
    txn = await uow.transactions.record(
        stamp,
        Kind.SUBSCRIPTION_GRANT,
        account_id=account_id,
        card_number=card.number,
        comment=f"subscription {plan.code}",
    )
    await uow.ledger.write([book], txn, stamp.now)
    return txn


def _stamp(merchant_id: int, config: SubscriptionsConfig, now: datetime) -> CallStamp:
    return CallStamp(merchant_id, config.store, None, None, None, None, None, now)


async def subscribe(
    call: Call,
    units: Units,
    card_number: str | None,
    code: str | None,
    method: Method | None,
    store_code: str | None,
    retry_key: str | None,
) -> Subscription:
    """Charge the plan's price, then start the subscription and grant its first period."""
    program, m = call.program, call.merchant_id
    config = settings(program)
    processor = configured_processor(program)
    key = (
        f"subscribe:{call.integration.id}:{retry_key}"
        if retry_key
        else f"subscribe:{uuid.uuid4().hex}"
    )[:100]
    async with units() as uow:
        here = replace(call, uow=uow)
        account = await _subscriber(here, card_number)
        plan = _plan_for(program, code, account.template_code)
        earlier = await uow.payment_attempts.by_key(m, key)
        current = await uow.subscriptions.of_account(m, account.account_id)
    if earlier is not None:
        # The same request again (Idempotency-Key): its first outcome, nothing charged.
        answer_of(earlier)
        return await _current(units, m, account.account_id)
    if current is not None and current.status in LIVE:
        raise Refused(Reason.ALREADY_SUBSCRIBED)
    paid = await _kept_card(units, call, processor, account.account_id, method, key)
    if current is not None and current.status == SubscriptionStatus.CANCELLED:
        # Still paid through renews_at: subscribing again resumes it, charging nothing
        # now; a different plan takes over at the renewal, as a plan change does.
        async with units() as uow:
            resumed = await uow.subscriptions.change(
                current,
                call.now,
                paid=paid,
                status=SubscriptionStatus.ACTIVE,
                next_plan_code=plan.code if plan.code != current.plan_code else None,
            )
        if not resumed:
            raise Refused(Reason.ALREADY_SUBSCRIBED)
        return await _current(units, m, account.account_id)

    stamp = replace(_stamp(m, config, call.now), integration_id=call.integration.id)
    # The store the guest signed up at, when it is one of the merchant's.
    here_store = (store_code or "").strip()
    stamp = replace(stamp, store_code=here_store if here_store in program.stores else config.store)

    async def start(uow: UnitOfWork, attempt: PaymentAttempt) -> int:
        # Read again under the card's lock: a concurrent sign-up of the account loses
        # here, and its charge is given back.
        txn = await _grant(uow, program, stamp, account.card_number, plan)
        now_current = await uow.subscriptions.of_account(m, account.account_id, lock=True)
        if now_current is not None and now_current.status != SubscriptionStatus.EXPIRED:
            raise Refused(Reason.ALREADY_SUBSCRIBED)
        await uow.subscriptions.start(
            m,
            account.account_id,
            account.card_number,
            plan.code,
            paid,
            stamp.store_code,
            call.now,
            next_renewal(call.now, call.now, plan.period),
        )
        await _tell_guest(
            uow,
            program,
            account.account_id,
            f"Welcome to {plan.name}",
            call.now,
            f"Your {plan.name} subscription has started. It renews every {plan.period}"
            f" at {plan.price} {program.payments.currency} until you unsubscribe.",
        )
        return txn

    order = PaymentOrder(
        kind=PaymentKind.SUBSCRIPTION,
        card_number=account.card_number,
        wallet_code=plan.grants[0].wallet,
        amount=plan.price,
        token=paid.token,
        idempotency_key=key,
        saved=True,
        metadata={"subscription": plan.code},
    )
    await charge_and_fulfil(units, program, processor, stamp, order, start)
    return await _current(units, m, account.account_id)


async def _current(units: Units, merchant_id: int, account_id: int) -> Subscription:
    async with units() as uow:
        found = await uow.subscriptions.of_account(merchant_id, account_id)
    if found is None:
        raise Refused(Reason.NOT_SUBSCRIBED)
    return found


async def _tell_guest(
    uow: UnitOfWork, program: Program, account_id: int, subject: str, now: datetime, text: str
) -> None:
    """E-mail the account's guest, through the outbox (nothing when there is no
    address), and put the notice in the account's inbox."""
    await inbox.notify(uow, program.merchant_id, account_id, subject=subject, body=text, now=now)
    user = await uow.users.of_account(program.merchant_id, account_id)
    if user is None or not user.email:
        return
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="email",
        recipient=user.email,
        subject=subject,
        body=text,
        now=now,
    )


async def subscription_of(call: Call, card_number: str | None) -> Subscription:
    account = await account_by_card(call, card_number)
    found = await call.uow.subscriptions.of_account(call.merchant_id, account.account_id)
    if found is None:
        raise Refused(Reason.NOT_SUBSCRIBED)
    return found


async def unsubscribe(call: Call, card_number: str | None) -> Subscription:
    """Stop renewals: an active subscription keeps its benefits until the paid period
    ends; a past-due one (its period unpaid) ends now. Asking twice changes nothing."""
    account = await account_by_card(call, card_number)
    m = call.merchant_id
    found = await call.uow.subscriptions.of_account(m, account.account_id, lock=True)
    if found is None or found.status == SubscriptionStatus.EXPIRED:
        raise Refused(Reason.NOT_SUBSCRIBED)
    if found.status in LIVE:
        ends = (
            SubscriptionStatus.CANCELLED
            if found.status == SubscriptionStatus.ACTIVE
            else SubscriptionStatus.EXPIRED
        )
        await call.uow.subscriptions.change(found, call.now, status=ends, retry_at=None)
    return await subscription_of(call, card_number)


async def change_plan(call: Call, card_number: str | None, code: str | None) -> Subscription:
    """Switch plans at the next renewal (no proration: the paid period stays as bought)."""
    account = await account_by_card(call, card_number)
    m = call.merchant_id
    found = await call.uow.subscriptions.of_account(m, account.account_id, lock=True)
    if found is None or found.status not in LIVE:
        raise Refused(Reason.NOT_SUBSCRIBED)
    plan = _plan_for(call.program, code, account.template_code)
    if plan.code == found.plan_code:
        if found.next_plan_code is None:
            raise Refused(Reason.SAME_PLAN)
        await call.uow.subscriptions.change(found, call.now, next_plan_code=None)
    else:
        await call.uow.subscriptions.change(found, call.now, next_plan_code=plan.code)
    return await subscription_of(call, card_number)


async def update_payment_method(
    call: Call, units: Units, card_number: str | None, method: Method | None, retry_key: str | None
) -> Subscription:
    """Use another card for renewals. A past-due subscription is renewed with it at once;
    if that is declined, nothing changes (the old card stays) and the decline answers."""
    program, m = call.program, call.merchant_id
    processor = configured_processor(program)
    async with units() as uow:
        account = await account_by_card(replace(call, uow=uow), card_number)
        found = await uow.subscriptions.of_account(m, account.account_id)
    if found is None or found.status == SubscriptionStatus.EXPIRED:
        raise Refused(Reason.NOT_SUBSCRIBED)
    key = (
        f"subpm:{call.integration.id}:{retry_key}" if retry_key else f"subpm:{uuid.uuid4().hex}"
    )[:100]
    paid = await _kept_card(units, call, processor, account.account_id, method, key)
    if found.status == SubscriptionStatus.PAST_DUE:
        outcome = await _renew(units, program, processor, found, call.now, paid=paid)
        if isinstance(outcome, DomainError):
            raise outcome
    else:
        async with units() as uow:
            if not await uow.subscriptions.change(found, call.now, paid=paid):
                raise Refused(Reason.NOT_SUBSCRIBED, "the subscription changed meanwhile")
    return await _current(units, m, account.account_id)


# ---------------------------------------------------------------------------------------
# Renewals


@dataclass
class RenewReport:
    renewed: int = 0
    declined: int = 0
    expired: int = 0
    left: int = 0


async def renew_due(
    units: Units,
    now: datetime,
    *,
    batch: int = 100,
) -> RenewReport:
    """Renew, retry or end every subscription that is due (see the module)."""
    report = RenewReport()
    async with units() as uow:
        due = await uow.subscriptions.due(now, batch)
    for found in due:
        try:
            async with units() as uow:
                program = await uow.programs.load(found.merchant_id)
            await _settle(units, program, found, now, report)
        except Exception:
            log.exception("subscription %s could not be renewed yet", found.id)
            report.left += 1
    return report


async def _settle(
    units: Units, program: Program, found: Subscription, now: datetime, report: RenewReport
) -> None:
    config = program.payments.subscriptions
    plan = plan_of(program, found.next_plan_code or found.plan_code)
    if found.status == SubscriptionStatus.CANCELLED or config is None or plan is None:
        async with units() as uow:
            if await uow.subscriptions.change(found, now, status=SubscriptionStatus.EXPIRED):
                report.expired += 1
        return
    outcome = await _renew(units, program, configured_processor(program), found, now)
    if outcome is None:
        report.renewed += 1
    elif isinstance(outcome, PaymentFailed) and outcome.result.code == "in_progress":
        report.left += 1
    else:
        report.declined += 1


async def _renew(
    units: Units,
    program: Program,
    processor: Processor,
    found: Subscription,
    now: datetime,
    *,
    paid: PaidCard | None = None,
) -> DomainError | None:
    """Charge one more period (with ``paid``, a new card, when given) and grant it; on a
    decline count it and schedule the retry (or end the subscription). Returns the
    refusal, or None when renewed."""
    config = settings(program)
    plan = plan_of(program, found.next_plan_code or found.plan_code)
    if plan is None:
        return Refused(Reason.INVALID_SUBSCRIPTION_CODE)
    card = paid or PaidCard(found.processor, found.token, found.card)
    stamp = replace(_stamp(program.merchant_id, config, now), store_code=found.store_code)
    key = f"renew:{found.merchant_id}:{found.id}:{found.periods}:{found.declines}"
    if paid is not None:
        key += f":{paid.token[-24:]}"  # another card is another attempt
    order = PaymentOrder(
        kind=PaymentKind.SUBSCRIPTION,
        card_number=found.card_number,
        wallet_code=plan.grants[0].wallet,
        amount=plan.price,
        token=card.token,
        idempotency_key=key[:100],
        saved=True,
        metadata={"subscription": plan.code},
    )

    async def extend(uow: UnitOfWork, attempt: PaymentAttempt) -> int:
        fresh = await uow.subscriptions.get(found.merchant_id, found.id, lock=True)
        if fresh is None or (fresh.status, fresh.periods) != (found.status, found.periods):
            raise RuntimeError("the subscription changed while it was being renewed")
        txn = await _grant(uow, program, stamp, found.card_number, plan)
        await uow.subscriptions.change(
            found,
            now,
            paid=paid,
            status=SubscriptionStatus.ACTIVE,
            plan_code=plan.code,
            next_plan_code=None,
            periods=found.periods + 1,
            period_start=found.renews_at,
            renews_at=next_renewal(found.renews_at, found.enrolled_at, plan.period),
            declines=0,
            retry_at=None,
        )
        return txn

    try:
        await charge_and_fulfil(units, program, processor, stamp, order, extend)
    except DomainError as refused:
        if isinstance(refused, PaymentFailed) and refused.result.code == "in_progress":
            return refused
        if paid is None:
            await _count_decline(units, program, found, config, now)
        return refused
    return None


async def _count_decline(
    units: Units, program: Program, found: Subscription, config: SubscriptionsConfig, now: datetime
) -> None:
    declines = found.declines + 1
    status, retry_at = after_decline(found.renews_at, declines, config.retry_days)
    async with units() as uow:
        if not await uow.subscriptions.change(
            found, now, status=status, declines=declines, retry_at=retry_at
        ):
            return
        if status == SubscriptionStatus.EXPIRED:
            text = "We could not charge your card, so your subscription has ended."
        else:
            text = (
                "We could not charge your card for your subscription. We will try again on"
                f" {program.today(retry_at or now).isoformat()}; update your card to keep it."
            )
        await _tell_guest(uow, program, found.account_id, "Your subscription payment", now, text)

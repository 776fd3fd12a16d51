"""The built-in test processor: a payment gateway without a network, for demonstrations
and tests.

The token decides the outcome, so a test or a demo can choose it:

| token                    | charge / authorize                        | verify and save |
|--------------------------|-------------------------------------------|-----------------|
| tok_decline              | declined                                  | declined        |
| tok_insufficient_funds   | insufficient funds                        | saved           |
| tok_processor_error      | processor error (nothing taken)           | processor error |
| tok_timeout              | the money is taken, the answer is lost    | timeout         |
| tok_requires_action      | requires action (3-D Secure)              | saved           |
| tok_<anything else>      | approved (tok_visa, tok_mastercard, ...)  | saved           |
| anything not tok_/pm_    | invalid token                             | invalid token   |

A checkout (``open_checkout``) holds nothing until the guest pays it on the checkout
page, which the server itself serves for this processor (``openpxs.web.test_checkout``,
at ``CHECKOUT_PAGE``): the guest picks a test token and ``pay_checkout`` authorizes the
amount (or records the token's refusal and leaves the checkout open). The authorization
is then captured or voided.

A saved method (``pm_...``) behaves as the token it was saved from, so a card saved from
tok_insufficient_funds declines when auto-recharge charges it later.

Every call is remembered under its idempotency key: the same key answers what the first
call did (the real outcome, even when that call "timed out") and moves no money again,
and ``lookup`` tells a reconciliation what a key did. The memory is the process's, per
merchant; a reconciliation in another process finds nothing and treats the attempt as
never charged, which is what this processor's absence of a network means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from openpxs.domain.payments import (
    BillingAddress,
    CardDisplay,
    ChargeRequest,
    CheckoutOpened,
    CheckoutRequest,
    IntentState,
    IntentStatus,
    Outcome,
    ProcessorResult,
    SavedMethod,
)

_BRANDS = {
    "visa": CardDisplay("VISA", "4242", 12, 2034),
    "mastercard": CardDisplay("MASTERCARD", "4444", 12, 2034),
    "amex": CardDisplay("AMEX", "8431", 12, 2034),
    "discover": CardDisplay("DISCOVER", "1117", 12, 2034),
}
_DEFAULT_CARD = _BRANDS["visa"]
# The checkout page of this processor, a path on the server itself (it has no host of
# its own): ``{CHECKOUT_PAGE}/{merchant id}/{checkout session id}``.
CHECKOUT_PAGE = "/test-processor/checkout"

# Token behaviours (the part after tok_ or pm_, before any _<suffix> of a saved method).
_FAILING = {
    "decline": (Outcome.DECLINED, "card_declined", "The card was declined"),
    "insufficient_funds": (
        Outcome.INSUFFICIENT_FUNDS,
        "insufficient_funds",
        "The card has insufficient funds",
    ),
    "processor_error": (Outcome.PROCESSOR_ERROR, "processing_error", "The processor failed"),
    "requires_action": (
        Outcome.REQUIRES_ACTION,
        "authentication_required",
        "The card issuer requires the cardholder to authenticate",
    ),
}
# Verification is a zero-amount check: funds and 3-D Secure are asked at charge time.
_VERIFY_PASSES = {"insufficient_funds", "requires_action"}


@dataclass
class _Payment:
    amount: Decimal
    captured: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    voided: bool = False
    # False for a checkout the guest has not paid yet (nothing held to capture).
    authorized: bool = True
    # The last refusal of the checkout's page, shown while it stays open.
    last_failure: ProcessorResult | None = None
    # Where the checkout's page sends the guest back to (the client's page).
    return_url: str | None = None


@dataclass(frozen=True)
class CheckoutView:
    """What the checkout page shows of a checkout."""

    reference: str
    amount: Decimal
    # "open" (the guest may pay), "authorized" (paid: the app captures or cancels it),
    # or "closed" (voided or settled: nothing to pay).
    status: str
    # The refusal of the last token tried, while the checkout stays open.
    last_failure: ProcessorResult | None
    # Where the page sends the guest back to, when the checkout was opened with one.
    return_url: str | None = None


@dataclass
class _Books:
    merchant_id: int
    # idempotency key -> (operation, the result the processor really reached)
    calls: dict[str, tuple[str, ProcessorResult]] = field(default_factory=dict)
    payments: dict[str, _Payment] = field(default_factory=dict)
    saved: dict[str, str] = field(default_factory=dict)  # pm_ token -> behaviour
    # Keys of saved methods, so verify_and_save replays the same token.
    saved_by_key: dict[str, SavedMethod] = field(default_factory=dict)
    # checkout session id -> the payment's reference (the page is found by session)
    sessions: dict[str, str] = field(default_factory=dict)


def _behaviour(token: str) -> str | None:
    """The behaviour a token names, or None for a token this processor never issued."""
    for prefix in ("tok_", "pm_"):
        if token.startswith(prefix) and len(token) > len(prefix):
            rest = token[len(prefix) :]
            if prefix == "pm_":
                rest = rest.rsplit("_", 1)[0]
            return rest
    return None


def _reference(kind: str, key: str) -> str:
    # Deterministic by key, so a replay answers the same reference.
    return f"{kind}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class BuiltinTestProcessor:
    """The ``test`` processor (see the module's table)."""

    name = "test"
    _merchants: ClassVar[dict[int, _Books]] = {}

    def __init__(self, books: _Books) -> None:
        self._books = books

    @classmethod
    def for_merchant(cls, merchant_id: int) -> BuiltinTestProcessor:
        return cls(cls._books_of(merchant_id))

    @classmethod
    def _books_of(cls, merchant_id: int) -> _Books:
        return cls._merchants.setdefault(merchant_id, _Books(merchant_id))

    @classmethod
    def forget_all(cls) -> None:
        """Drop every merchant's memory (tests start from nothing)."""
        cls._merchants.clear()

    # -- the protocol

    async def authorize(self, request: ChargeRequest) -> ProcessorResult:
        return self._pay("authorize", request, capture=False)

    async def charge(self, request: ChargeRequest) -> ProcessorResult:
        return self._pay("charge", request, capture=True)

    async def capture(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        def act() -> ProcessorResult:
            payment = self._books.payments.get(reference)
            if payment is None or payment.voided or payment.captured or not payment.authorized:
                return _refused("payment_not_capturable", "Nothing to capture")
            if amount <= 0 or amount > payment.amount:
                return _refused("amount_too_large", "More than was authorized")
            payment.captured = amount
            return ProcessorResult(Outcome.APPROVED, reference, amount)

        return self._once("capture", idempotency_key, act)

    async def void(self, reference: str, idempotency_key: str) -> ProcessorResult:
        def act() -> ProcessorResult:
            payment = self._books.payments.get(reference)
            if payment is None or payment.refunded:
                return _refused("payment_not_voidable", "Nothing to void")
            payment.voided = True
            return ProcessorResult(Outcome.APPROVED, reference, payment.amount)

        return self._once("void", idempotency_key, act)

    async def refund(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        def act() -> ProcessorResult:
            payment = self._books.payments.get(reference)
            if payment is None or payment.voided:
                return _refused("payment_not_refundable", "Nothing to refund")
            if amount <= 0 or payment.refunded + amount > payment.captured:
                return _refused("amount_too_large", "More than was captured")
            payment.refunded += amount
            return ProcessorResult(Outcome.APPROVED, _reference("re", idempotency_key), amount)

        return self._once("refund", idempotency_key, act)

    async def verify_and_save(
        self, token: str, idempotency_key: str, address: BillingAddress | None = None
    ) -> SavedMethod:
        done = self._books.saved_by_key.get(idempotency_key)
        if done is not None:
            return done
        behaviour = _behaviour(token)
        if behaviour is None:
            saved = SavedMethod(_invalid_token())
        elif behaviour == "timeout":
            saved = SavedMethod(ProcessorResult(Outcome.TIMEOUT, message="No answer in time"))
        elif behaviour in _FAILING and behaviour not in _VERIFY_PASSES:
            saved = SavedMethod(_failing(behaviour))
        else:
            method = f"pm_{behaviour}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:12]}"
            self._books.saved[method] = behaviour
            saved = SavedMethod(
                ProcessorResult(Outcome.APPROVED, method),
                method,
                _BRANDS.get(behaviour, _DEFAULT_CARD),
            )
        self._books.saved_by_key[idempotency_key] = saved
        return saved

    async def redact(self, token: str, idempotency_key: str) -> ProcessorResult:
        def act() -> ProcessorResult:
            self._books.saved.pop(token, None)
            return ProcessorResult(Outcome.APPROVED, token)

        return self._once("redact", idempotency_key, act)

    async def lookup(self, idempotency_key: str) -> ProcessorResult | None:
        done = self._books.calls.get(idempotency_key)
        return None if done is None else done[1]

    async def open_checkout(self, request: CheckoutRequest) -> CheckoutOpened:
        key = request.idempotency_key
        reference = _reference("pi", key)
        session = _reference("cs", key)
        if reference not in self._books.payments:
            if request.amount <= 0:
                return CheckoutOpened(_refused("invalid_amount", "The amount must be positive"))
            self._books.payments[reference] = _Payment(
                request.amount, authorized=False, return_url=request.return_url
            )
            self._books.sessions[session] = reference
        return CheckoutOpened(
            ProcessorResult(Outcome.APPROVED, reference, request.amount),
            reference,
            session,
            f"{CHECKOUT_PAGE}/{self._books.merchant_id}/{session}",
            f"{reference}_secret_{hashlib.sha256(session.encode()).hexdigest()[:16]}",
        )

    async def intent_state(self, reference: str) -> IntentState:
        payment = self._books.payments.get(reference)
        if payment is None:
            return IntentState(IntentStatus.FAILED, result=_invalid_token())
        if payment.voided or payment.refunded:
            return IntentState(IntentStatus.CANCELED, payment.amount)
        if payment.captured:
            return IntentState(IntentStatus.CAPTURED, payment.captured)
        if payment.authorized:
            return IntentState(
                IntentStatus.AUTHORIZED,
                payment.amount,
                ProcessorResult(
                    Outcome.APPROVED,
                    reference,
                    payment.amount,
                    code="approved",
                    message="Approved",
                    card=_DEFAULT_CARD,
                    auth_code=str(int(reference[-6:], 16) % 1_000_000).zfill(6),
                ),
            )
        return IntentState(IntentStatus.OPEN, result=payment.last_failure)

    @classmethod
    def pay_checkout(cls, merchant_id: int, reference: str, token: str) -> ProcessorResult:
        """The guest pays the checkout's page with a token (tests and demonstrations):
        an approving token authorizes the amount; a failing one leaves the checkout open
        with its refusal, as a hosted page lets the guest try another card."""
        books = cls._books_of(merchant_id)
        payment = books.payments.get(reference)
        if payment is None or payment.voided or payment.authorized:
            return _refused("checkout_not_open", "The checkout is not open")
        behaviour = _behaviour(token)
        if behaviour is None:
            result = _invalid_token()
        elif behaviour in _FAILING:
            result = _failing(behaviour)
        else:
            payment.authorized = True
            return ProcessorResult(Outcome.APPROVED, reference, payment.amount)
        payment.last_failure = result
        return result

    @classmethod
    def checkout(cls, merchant_id: int, session: str) -> CheckoutView | None:
        """The checkout this session id opened, as its page shows it; None for one this
        process never opened."""
        books = cls._books_of(merchant_id)
        reference = books.sessions.get(session)
        payment = books.payments.get(reference) if reference is not None else None
        if reference is None or payment is None:
            return None
        if payment.voided or payment.captured or payment.refunded:
            status = "closed"
        elif payment.authorized:
            status = "authorized"
        else:
            status = "open"
        return CheckoutView(
            reference, payment.amount, status, payment.last_failure, payment.return_url
        )

    # -- the workings

    def _pay(self, operation: str, request: ChargeRequest, *, capture: bool) -> ProcessorResult:
        behaviour = _behaviour(request.token)
        if request.token.startswith("pm_") and request.token not in self._books.saved:
            behaviour = None  # a saved method this processor does not hold (redacted)

        def act() -> ProcessorResult:
            if behaviour is None:
                return _invalid_token()
            if behaviour in _FAILING:
                return _failing(behaviour)
            if request.amount <= 0:
                return _refused("invalid_amount", "The amount must be positive")
            reference = _reference("ch", request.idempotency_key)
            payment = _Payment(request.amount)
            if capture:
                payment.captured = request.amount
            self._books.payments[reference] = payment
            return ProcessorResult(
                Outcome.APPROVED,
                reference,
                request.amount,
                code="approved",
                message="Approved",
                card=_BRANDS.get(behaviour, _DEFAULT_CARD),
                auth_code=str(int(reference[-6:], 16) % 1_000_000).zfill(6),
            )

        result = self._once(operation, request.idempotency_key, act)
        if behaviour == "timeout" and result.approved:
            # The money moved but the answer never arrived.
            return ProcessorResult(Outcome.TIMEOUT, message="No answer in time")
        return result

    def _once(
        self, operation: str, key: str, act: Callable[[], ProcessorResult]
    ) -> ProcessorResult:
        done = self._books.calls.get(key)
        if done is not None:
            if done[0] != operation:
                return _refused("idempotency_key_reused", f"The key was used for a {done[0]} call")
            return done[1]
        result = act()
        self._books.calls[key] = (operation, result)
        return result


def _refused(code: str, message: str) -> ProcessorResult:
    return ProcessorResult(Outcome.PROCESSOR_ERROR, code=code, message=message)


def _failing(behaviour: str) -> ProcessorResult:
    outcome, code, message = _FAILING[behaviour]
    return ProcessorResult(outcome, code=code, message=message)


def _invalid_token() -> ProcessorResult:
    return ProcessorResult(
        Outcome.INVALID_TOKEN, code="invalid_token", message="The processor does not know the token"
    )

"""Card payments as the rules see them: what a processor answers, the shape of a
processor, and the states of a payment attempt.

A processor is anything shaped like a payment gateway (authorize, capture, void, refund,
charge, verify-and-save a token). Every call carries the caller's idempotency key, so a
retried call (after a timeout, a crash, a reconciliation) never moves money twice: the
processor answers a key it has seen with what it did the first time. Adapters live in
``openpxs.processors``; the use cases see only this protocol.

Card numbers never reach the server: clients tokenize cards with the processor and send
the token, and only tokens and display data (brand, last four digits, expiry) are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from openpxs.domain.errors import DomainError, Reason


class Outcome(StrEnum):
    """What the processor did with one call."""

    APPROVED = "approved"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PROCESSOR_ERROR = "processor_error"
    # The call's answer was lost: the processor may or may not have acted. Only asking
    # it again under the same idempotency key tells which.
    TIMEOUT = "timeout"
    # The card issuer wants the guest to act (3-D Secure and the like) before it pays.
    REQUIRES_ACTION = "requires_action"
    INVALID_TOKEN = "invalid_token"


# Outcomes after which the processor certainly did not take the money.
NOT_CHARGED = frozenset(
    {
        Outcome.DECLINED,
        Outcome.INSUFFICIENT_FUNDS,
        Outcome.PROCESSOR_ERROR,
        Outcome.REQUIRES_ACTION,
        Outcome.INVALID_TOKEN,
    }
)


@dataclass(frozen=True)
class CardDisplay:
    """What may be shown and stored of a card: never its number."""

    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class ProcessorResult:
    """The processor's answer: its outcome, its own reference and its code and message,
    and what it tells of the card charged."""

    outcome: Outcome
    reference: str | None = None
    amount: Decimal | None = None
    code: str | None = None
    message: str | None = None
    card: CardDisplay | None = None
    auth_code: str | None = None

    @property
    def approved(self) -> bool:
        return self.outcome is Outcome.APPROVED

    @property
    def unknown(self) -> bool:
        """Whether the processor may have acted although it did not say so."""
        return self.outcome is Outcome.TIMEOUT


@dataclass(frozen=True)
class SavedMethod:
    """A token the processor keeps for later charges, with the card's display data."""

    result: ProcessorResult
    token: str | None = None
    card: CardDisplay | None = None


@dataclass(frozen=True)
class BillingAddress:
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class ChargeRequest:
    """One charge: the amount, what pays it (a one-time token or a saved one) and the key."""

    amount: Decimal
    currency: str
    token: str
    idempotency_key: str
    saved: bool = False
    address: BillingAddress | None = None
    # Passed to the processor untouched (the spec names device_data).
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutRequest:
    """A checkout the guest pays on the processor's page or widget: the amount is only
    authorized there; the server captures it later (payment intents)."""

    amount: Decimal
    currency: str
    idempotency_key: str
    return_url: str | None = None


@dataclass(frozen=True)
class CheckoutOpened:
    """What a client needs to show the checkout, and the processor's intent behind it."""

    result: ProcessorResult
    reference: str | None = None  # the processor's payment intent
    session_id: str | None = None
    url: str | None = None
    client_secret: str | None = None
    expires_at: datetime | None = None


class IntentStatus(StrEnum):
    """Where a processor's payment intent stands."""

    OPEN = "open"  # waiting for the guest to pay
    AUTHORIZED = "authorized"  # the amount is held, not taken
    CAPTURED = "captured"
    CANCELED = "canceled"
    FAILED = "failed"


@dataclass(frozen=True)
class IntentState:
    status: IntentStatus
    # The amount held (authorized) or taken (captured); None while open.
    amount: Decimal | None = None
    result: ProcessorResult | None = None


class Processor(Protocol):
    """A payment gateway. Every call carries an idempotency key; calling again with the
    same key answers what the first call did and moves no more money."""

    name: str

    async def authorize(self, request: ChargeRequest) -> ProcessorResult:
        """Hold the amount on the card without taking it."""
        ...

    async def capture(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        """Take (part of) an authorized amount."""
        ...

    async def charge(self, request: ChargeRequest) -> ProcessorResult:
        """Authorize and capture in one call, with a one-time token or a saved method."""
        ...

    async def void(self, reference: str, idempotency_key: str) -> ProcessorResult:
        """Cancel an authorization or a charge not yet settled."""
        ...

    async def refund(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        """Give back (part of) a captured amount."""
        ...

    async def verify_and_save(
        self, token: str, idempotency_key: str, address: BillingAddress | None = None
    ) -> SavedMethod:
        """Check a one-time token with the issuer (no money moves) and keep it for later."""
        ...

    async def redact(self, token: str, idempotency_key: str) -> ProcessorResult:
        """Forget a saved token, where the processor supports it."""
        ...

    async def lookup(self, idempotency_key: str) -> ProcessorResult | None:
        """What the call made under this key did, or None when the processor never saw it."""
        ...

    async def open_checkout(self, request: CheckoutRequest) -> CheckoutOpened:
        """Open a checkout that authorizes (never captures) the amount when the guest
        pays; its intent is captured with ``capture`` or released with ``void``."""
        ...

    async def intent_state(self, reference: str) -> IntentState:
        """Where the checkout's intent stands now (a TIMEOUT result when unknown)."""
        ...


# ---------------------------------------------------------------------------------------
# The payment attempt


class AttemptState(StrEnum):
    PENDING = "pending"  # recorded before the processor is called
    CHARGED = "charged"  # the processor took the money; value not yet credited
    CREDITED = "credited"  # the value is on the card: done
    FAILED = "failed"  # the processor took nothing: done
    COMPENSATED = "compensated"  # the charge was voided or refunded: done


FINAL_STATES = frozenset({AttemptState.CREDITED, AttemptState.FAILED, AttemptState.COMPENSATED})

# The moves an attempt may make; anything else is a bug, not a refusal.
_MOVES: dict[AttemptState, frozenset[AttemptState]] = {
    AttemptState.PENDING: frozenset(
        {AttemptState.CHARGED, AttemptState.FAILED, AttemptState.COMPENSATED}
    ),
    AttemptState.CHARGED: frozenset({AttemptState.CREDITED, AttemptState.COMPENSATED}),
    AttemptState.CREDITED: frozenset(),
    AttemptState.FAILED: frozenset(),
    AttemptState.COMPENSATED: frozenset(),
}


class AttemptStateError(RuntimeError):
    """A move the attempt state machine does not have."""


def check_move(current: AttemptState, target: AttemptState) -> AttemptState:
    if target not in _MOVES[current]:
        raise AttemptStateError(f"a payment attempt cannot go from {current} to {target}")
    return target


class PaymentKind(StrEnum):
    RECHARGE = "recharge"
    AUTO_RECHARGE = "auto_recharge"
    # A web store order: the charge pays for new cards, not for value on one card; the
    # attempt's card_number holds the order number.
    SALE = "sale"
    # A subscription's sign-up or renewal: what it buys is the subscription's grant, not
    # the amount as stored value (services.subscriptions).
    SUBSCRIPTION = "subscription"
    # The capture of a payment intent opened for a recharge: the captured amount is
    # credited as stored value in the unit of work that marks the intent captured
    # (services.payment_intents); reconciliation gives back one left charged.
    INTENT_CAPTURE = "intent_capture"


# Kinds whose approved charge is credited to the card as stored value of the same amount
# (reconciliation can finish them; any other charged attempt is given back).
CREDITS_AMOUNT = frozenset({PaymentKind.RECHARGE, PaymentKind.AUTO_RECHARGE})


# ---------------------------------------------------------------------------------------
# Refusals


class PaymentsNotConfigured(DomainError):
    reason = Reason.PAYMENTS_NOT_CONFIGURED


class PaymentFailed(DomainError):
    """The processor did not take the money; the reply carries its outcome."""

    def __init__(self, result: ProcessorResult, detail: str | None = None) -> None:
        self.reason = (
            Reason.PROCESSOR_DECLINED
            if result.outcome
            in (Outcome.DECLINED, Outcome.INSUFFICIENT_FUNDS, Outcome.REQUIRES_ACTION)
            else Reason.PROCESSOR_ERROR
        )
        super().__init__(
            detail or result.message or str(result.outcome),
            members={"processorOutcome": str(result.outcome), "processorCode": result.code},
        )
        self.result = result

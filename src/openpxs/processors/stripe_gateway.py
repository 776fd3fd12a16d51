"""The ``stripe`` processor: Stripe's PaymentIntents API through the ``stripe`` package.

How the protocol maps onto Stripe:

- a token is a PaymentMethod id (``pm_...``) made by Stripe.js or a mobile SDK; the
  card's display data come from retrieving it, which also tells an unknown token;
- ``charge`` and ``authorize`` create and confirm a PaymentIntent (capture automatic or
  manual) whose ``metadata.openpxs_key`` holds the idempotency key, sent too as Stripe's
  ``Idempotency-Key`` header, so a retry with the same key is the same payment;
- ``verify_and_save`` makes a Customer and attaches the PaymentMethod to it (Stripe
  checks the card with the issuer when attaching); the saved token is the
  PaymentMethod id, charged off-session for its customer;
- ``capture``/``void``/``refund`` are capture, cancel and a Refund of the PaymentIntent;
  a capture first writes its key on the intent (``metadata.openpxs_capture_key``);
- ``open_checkout`` creates a PaymentIntent with manual capture and no payment method:
  the client confirms it with its ``client_secret`` in Stripe's Payment Element (Stripe
  Checkout Sessions are not used: localstripe, the suite's Stripe, has none);
  ``intent_state`` retrieves it;
- ``lookup`` lists recent PaymentIntents for the one whose metadata holds the key
  (listing is read-after-write consistent, which Stripe's search is not).

A lost connection or a server error (5xx) is a TIMEOUT: Stripe may have acted, and only
``lookup`` tells. Amounts go to Stripe in the currency's minor unit (cents).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe

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

log = logging.getLogger("openpxs.payments.stripe")

KEY_FIELD = "openpxs_key"
# The key of the capture of a checkout's intent, written on the intent before capturing.
CAPTURE_KEY_FIELD = "openpxs_capture_key"
# How many PaymentIntents lookup reads, newest first, before it says the key is unknown.
LOOKUP_PAGES = 10
_BRANDS = {"visa": "VISA", "mastercard": "MASTERCARD", "amex": "AMEX", "discover": "DISCOVER"}
_BRANDS |= {"jcb": "JCB", "diners": "DINERS"}


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


def _major(units: int | None) -> Decimal | None:
    return None if units is None else Decimal(units) / 100


class StripeGateway:
    """A merchant's Stripe account, reached at ``api_base`` with its secret key."""

    name = "stripe"

    def __init__(self, api_key: str, api_base: str, timeout: float) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=stripe.HTTPXClient(timeout=timeout),
            # Retries are the caller's, under the same key; the SDK's would hide a timeout.
            max_network_retries=0,
        )

    # -- the protocol

    async def charge(self, request: ChargeRequest) -> ProcessorResult:
        return await self._pay(request, capture=True)

    async def authorize(self, request: ChargeRequest) -> ProcessorResult:
        return await self._pay(request, capture=False)

    async def capture(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        try:
            # The key goes on the intent first, so lookup finds what the capture did.
            await self._client.v1.payment_intents.update_async(
                reference,
                {"metadata": {CAPTURE_KEY_FIELD: idempotency_key}},
                {"idempotency_key": f"{idempotency_key}:mark"},
            )
            intent = await self._client.v1.payment_intents.capture_async(
                reference,
                {"amount_to_capture": minor_units(amount)},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        return _of_intent(intent)

    async def void(self, reference: str, idempotency_key: str) -> ProcessorResult:
        try:
            intent = await self._client.v1.payment_intents.cancel_async(
                reference, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        done = intent.to_dict()
        if done.get("status") != "canceled":
            return ProcessorResult(Outcome.PROCESSOR_ERROR, reference, code=done.get("status"))
        return ProcessorResult(Outcome.APPROVED, reference, _major(done.get("amount")))

    async def refund(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": reference, "amount": minor_units(amount)},
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        done = refund.to_dict()
        if done.get("status") not in ("succeeded", "pending"):
            return ProcessorResult(Outcome.PROCESSOR_ERROR, refund.id, code=done.get("status"))
        return ProcessorResult(Outcome.APPROVED, refund.id, _major(done.get("amount")))

    async def verify_and_save(
        self, token: str, idempotency_key: str, address: BillingAddress | None = None
    ) -> SavedMethod:
        try:
            method = await self._client.v1.payment_methods.retrieve_async(token)
            params: dict[str, Any] = {"metadata": {KEY_FIELD: idempotency_key}}
            if address is not None:
                params["address"] = _address(address)
            customer = await self._client.v1.customers.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"{idempotency_key}:customer"},
            )
            method = await self._client.v1.payment_methods.attach_async(
                method.id,
                {"customer": customer.id},
                {"idempotency_key": f"{idempotency_key}:attach"},
            )
        except stripe.StripeError as exc:
            return SavedMethod(_failure(exc))
        card = _card(method)
        return SavedMethod(ProcessorResult(Outcome.APPROVED, method.id, card=card), method.id, card)

    async def redact(self, token: str, idempotency_key: str) -> ProcessorResult:
        try:
            await self._client.v1.payment_methods.detach_async(
                token, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        return ProcessorResult(Outcome.APPROVED, token)

    async def lookup(self, idempotency_key: str) -> ProcessorResult | None:
        after: str | None = None
        try:
            for _ in range(LOOKUP_PAGES):
                params: dict[str, Any] = {"limit": 100}
                if after is not None:
                    params["starting_after"] = after
                page = await self._client.v1.payment_intents.list_async(params)  # type: ignore[arg-type]
                for intent in page.data:
                    if _key_of(intent) == idempotency_key:
                        return _of_intent(intent)
                    if _key_of(intent, CAPTURE_KEY_FIELD) == idempotency_key:
                        return _of_capture(intent)
                if not page.has_more or not page.data:
                    return None
                after = page.data[-1].id
        except stripe.StripeError as exc:
            return _failure(exc)
        log.warning("stripe lookup read %s pages without finding the key", LOOKUP_PAGES)
        return None

    async def open_checkout(self, request: CheckoutRequest) -> CheckoutOpened:
        if request.amount <= 0:
            return CheckoutOpened(ProcessorResult(Outcome.PROCESSOR_ERROR, code="invalid_amount"))
        params: dict[str, Any] = {
            "amount": minor_units(request.amount),
            "currency": request.currency.lower(),
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "metadata": {KEY_FIELD: request.idempotency_key},
        }
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            return CheckoutOpened(_failure(exc))
        data = intent.to_dict()
        reference = str(data.get("id"))
        return CheckoutOpened(
            ProcessorResult(Outcome.APPROVED, reference, _major(data.get("amount"))),
            reference,
            client_secret=data.get("client_secret"),
        )

    async def intent_state(self, reference: str) -> IntentState:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(reference)
        except stripe.StripeError as exc:
            failed = _failure(exc)
            if failed.outcome is Outcome.INVALID_TOKEN:
                return IntentState(IntentStatus.FAILED, result=failed)
            return IntentState(IntentStatus.OPEN, result=ProcessorResult(Outcome.TIMEOUT))
        data = intent.to_dict()
        status = data.get("status")
        if status == "requires_capture":
            held = data.get("amount_capturable") or data.get("amount")
            return IntentState(IntentStatus.AUTHORIZED, _major(held), _of_intent(intent))
        if status == "succeeded":
            taken = data.get("amount_received") or data.get("amount")
            return IntentState(IntentStatus.CAPTURED, _major(taken), _of_intent(intent))
        if status == "canceled":
            return IntentState(IntentStatus.CANCELED, _major(data.get("amount")))
        error = data.get("last_payment_error")
        return IntentState(IntentStatus.OPEN, result=_of_intent(intent) if error else None)

    # -- the workings

    async def _pay(self, request: ChargeRequest, *, capture: bool) -> ProcessorResult:
        if request.amount <= 0:
            return ProcessorResult(Outcome.PROCESSOR_ERROR, code="invalid_amount")
        try:
            method = await self._client.v1.payment_methods.retrieve_async(request.token)
            params: dict[str, Any] = {
                "amount": minor_units(request.amount),
                "currency": request.currency.lower(),
                "payment_method": method.id,
                "payment_method_types": ["card"],
                "capture_method": "automatic" if capture else "manual",
                "confirm": True,
                "metadata": {**_metadata(request.metadata), KEY_FIELD: request.idempotency_key},
            }
            customer = method.to_dict().get("customer")
            if request.saved and customer:
                params["customer"] = customer if isinstance(customer, str) else customer["id"]
                params["off_session"] = True
            intent = await self._client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        result = _of_intent(intent)
        return ProcessorResult(
            result.outcome,
            result.reference,
            result.amount,
            result.code,
            result.message,
            _card(method),
            result.auth_code,
        )


def _key_of(intent: stripe.PaymentIntent, name: str = KEY_FIELD) -> str | None:
    found = (intent.to_dict().get("metadata") or {}).get(name)
    return None if found is None else str(found)


def _of_capture(intent: stripe.PaymentIntent) -> ProcessorResult:
    """What the capture marked on the intent did: taken once the intent succeeded, else
    the amount is still only held (nothing was captured)."""
    if intent.to_dict().get("status") == "succeeded":
        return _of_intent(intent)
    return ProcessorResult(Outcome.PROCESSOR_ERROR, str(intent.id), code="not_captured")


def _metadata(given: Mapping[str, str]) -> dict[str, str]:
    # Stripe keeps at most 50 keys of 40 characters with values of 500.
    return {k[:40]: str(v)[:500] for k, v in list(given.items())[:40]}


def _address(address: BillingAddress) -> dict[str, str]:
    fields = {
        "line1": address.address1,
        "line2": address.address2,
        "city": address.city,
        "state": address.state_province,
        "postal_code": address.postal_code,
        "country": address.country,
    }
    return {k: v for k, v in fields.items() if v}


def _card(method: stripe.PaymentMethod) -> CardDisplay | None:
    card = method.to_dict().get("card")
    if not isinstance(card, dict) or not card.get("last4"):
        return None
    brand = str(card.get("brand") or "")
    return CardDisplay(
        _BRANDS.get(brand, brand.upper()),
        str(card["last4"]),
        card.get("exp_month"),
        card.get("exp_year"),
    )


def _of_intent(intent: stripe.PaymentIntent) -> ProcessorResult:
    # Read as data: fields a Stripe-compatible server leaves out are simply absent.
    data = intent.to_dict()
    status = data.get("status")
    reference = str(data.get("id"))
    amount = _major(data.get("amount_received") or data.get("amount"))
    if status in ("succeeded", "requires_capture"):
        return ProcessorResult(
            Outcome.APPROVED, reference, amount, code="approved", message="Approved"
        )
    if status == "requires_action":
        return ProcessorResult(
            Outcome.REQUIRES_ACTION,
            reference,
            code="authentication_required",
            message="The card issuer requires the cardholder to authenticate",
        )
    if status == "processing":
        return ProcessorResult(Outcome.TIMEOUT, reference, message="Stripe is still processing")
    error = data.get("last_payment_error") or {}
    code = str(error.get("code") or status)
    message = str(error.get("message") or f"The payment is {status}")
    outcome = (
        Outcome.INSUFFICIENT_FUNDS
        if "insufficient_funds" in (code, error.get("decline_code"))
        else Outcome.DECLINED
        if status == "requires_payment_method"
        else Outcome.PROCESSOR_ERROR
    )
    return ProcessorResult(outcome, reference, code=code, message=message)


def _failure(exc: stripe.StripeError) -> ProcessorResult:
    """What an error Stripe answered (or the lack of an answer) means for the payment."""
    code = exc.code or type(exc).__name__
    message = exc.user_message or "Stripe refused the request"
    if isinstance(exc, stripe.APIConnectionError) or (
        isinstance(exc, stripe.APIError) and (exc.http_status or 500) >= 500
    ):
        log.warning("stripe did not answer: %s", type(exc).__name__)
        return ProcessorResult(Outcome.TIMEOUT, code=code, message="Stripe did not answer")
    if isinstance(exc, stripe.CardError):
        decline = getattr(exc.error, "decline_code", None) if exc.error else None
        if "insufficient_funds" in (code, decline):
            return ProcessorResult(Outcome.INSUFFICIENT_FUNDS, code=code, message=message)
        if code == "authentication_required":
            return ProcessorResult(Outcome.REQUIRES_ACTION, code=code, message=message)
        return ProcessorResult(Outcome.DECLINED, code=code, message=message)
    if isinstance(exc, stripe.InvalidRequestError) and (
        exc.code == "resource_missing" or exc.http_status == 404
    ):
        return ProcessorResult(Outcome.INVALID_TOKEN, code=code, message=message)
    log.warning("stripe refused a request: %s %s", type(exc).__name__, code)
    return ProcessorResult(Outcome.PROCESSOR_ERROR, code=code, message=message)

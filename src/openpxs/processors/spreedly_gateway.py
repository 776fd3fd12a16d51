"""The ``spreedly`` processor: Spreedly's gateway API (core.spreedly.com/v1) over httpx.

Paytronix apps tokenize cards in the Spreedly iFrame and send the payment method token;
the server charges it on the merchant's Spreedly gateway:

- ``charge``/``authorize``: ``POST gateways/{gateway}/purchase.json`` / ``authorize.json``
  with the payment method token, the amount in cents and the currency;
- ``capture``/``void``/``refund``: ``POST transactions/{token}/capture.json``,
  ``void.json``, ``credit.json``;
- ``verify_and_save``: ``POST gateways/{gateway}/verify.json``, then
  ``PUT payment_methods/{token}/retain.json`` (a token is only kept once retained);
  ``redact``: ``PUT payment_methods/{token}/redact.json``;
- ``open_checkout``: refused, Spreedly has no hosted checkout (payment intents need
  the ``stripe`` or ``test`` processor);
- ``lookup``: the gateway's transactions, newest first, for the one whose ``order_id``
  is the key.

Every transaction carries the idempotency key as its ``order_id`` (Spreedly has no
idempotency header of its own; gateways that deduplicate do so by order id). Spreedly
answers 200 with ``succeeded: true`` or 422 with the failed transaction; a transaction
whose ``response.pending`` or ``result_unknown`` is set, a lost connection and a 5xx are
a TIMEOUT, which ``lookup`` settles.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import httpx

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

log = logging.getLogger("openpxs.payments.spreedly")

LOOKUP_PAGES = 10
_BRANDS = {
    "visa": "VISA",
    "master": "MASTERCARD",
    "american_express": "AMEX",
    "discover": "DISCOVER",
    "jcb": "JCB",
    "diners_club": "DINERS",
}
# Words of a gateway's message that say the card lacks funds rather than was declined.
_NO_FUNDS = ("insufficient", "not sufficient", "nsf")


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


class SpreedlyGateway:
    """One Spreedly environment and the gateway that charges the merchant's cards."""

    name = "spreedly"

    def __init__(
        self,
        environment_key: str,
        access_secret: str,
        gateway_token: str,
        api_base: str,
        timeout: float,
    ) -> None:
        self._auth = httpx.BasicAuth(environment_key, access_secret)
        self._gateway = gateway_token
        self._base = f"{api_base}/v1"
        self._timeout = timeout

    # -- the protocol

    async def charge(self, request: ChargeRequest) -> ProcessorResult:
        return await self._pay("purchase", request)

    async def authorize(self, request: ChargeRequest) -> ProcessorResult:
        return await self._pay("authorize", request)

    async def capture(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        return await self._transaction(
            "POST",
            f"transactions/{reference}/capture.json",
            {"amount": cents(amount), "order_id": idempotency_key},
        )

    async def void(self, reference: str, idempotency_key: str) -> ProcessorResult:
        return await self._transaction(
            "POST", f"transactions/{reference}/void.json", {"order_id": idempotency_key}
        )

    async def refund(
        self, reference: str, amount: Decimal, idempotency_key: str
    ) -> ProcessorResult:
        return await self._transaction(
            "POST",
            f"transactions/{reference}/credit.json",
            {"amount": cents(amount), "order_id": idempotency_key},
        )

    async def verify_and_save(
        self, token: str, idempotency_key: str, address: BillingAddress | None = None
    ) -> SavedMethod:
        fields: dict[str, Any] = {"payment_method_token": token, "order_id": idempotency_key}
        if address is not None:
            fields["billing_address"] = _address(address)
        verified, body = await self._call(
            "POST", f"gateways/{self._gateway}/verify.json", {"transaction": fields}
        )
        if not verified.approved:
            return SavedMethod(verified)
        retained, _ = await self._call("PUT", f"payment_methods/{token}/retain.json", None)
        if not retained.approved:
            return SavedMethod(retained)
        card = _card(body)
        return SavedMethod(ProcessorResult(Outcome.APPROVED, token, card=card), token, card)

    async def redact(self, token: str, idempotency_key: str) -> ProcessorResult:
        result, _ = await self._call("PUT", f"payment_methods/{token}/redact.json", None)
        return result

    async def lookup(self, idempotency_key: str) -> ProcessorResult | None:
        since: str | None = None
        for _ in range(LOOKUP_PAGES):
            params = {"order": "desc", "count": "100"}
            if since is not None:
                params["since_token"] = since
            try:
                async with self._client() as client:
                    reply = await client.get(
                        f"gateways/{self._gateway}/transactions.json", params=params
                    )
            except httpx.HTTPError:
                return ProcessorResult(Outcome.TIMEOUT, message="Spreedly did not answer")
            if reply.status_code != 200:
                return ProcessorResult(Outcome.TIMEOUT, code=str(reply.status_code))
            transactions = reply.json().get("transactions") or []
            for transaction in transactions:
                if transaction.get("order_id") == idempotency_key:
                    return _of_transaction(transaction)
            if len(transactions) < 100:
                return None
            since = transactions[-1].get("token")
        log.warning("spreedly lookup read %s pages without finding the key", LOOKUP_PAGES)
        return None

    async def open_checkout(self, request: CheckoutRequest) -> CheckoutOpened:
        # Spreedly has no hosted checkout: its iFrame tokenizes, and recharge charges.
        return CheckoutOpened(
            ProcessorResult(
                Outcome.PROCESSOR_ERROR,
                code="checkout_not_supported",
                message="Spreedly has no hosted checkout; tokenize in the iFrame and recharge",
            )
        )

    async def intent_state(self, reference: str) -> IntentState:
        return IntentState(
            IntentStatus.FAILED,
            result=ProcessorResult(Outcome.PROCESSOR_ERROR, reference, code="no_such_intent"),
        )

    # -- the workings

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._base,
            auth=self._auth,
            timeout=self._timeout,
            headers={"Accept": "application/json"},
        )

    async def _pay(self, action: str, request: ChargeRequest) -> ProcessorResult:
        if request.amount <= 0:
            return ProcessorResult(Outcome.PROCESSOR_ERROR, code="invalid_amount")
        fields: dict[str, Any] = {
            "payment_method_token": request.token,
            "amount": cents(request.amount),
            "currency_code": request.currency,
            "order_id": request.idempotency_key,
        }
        if request.address is not None:
            fields["billing_address"] = _address(request.address)
        result, _ = await self._call(
            "POST", f"gateways/{self._gateway}/{action}.json", {"transaction": fields}
        )
        return result

    async def _transaction(self, method: str, path: str, fields: dict[str, Any]) -> ProcessorResult:
        result, _ = await self._call(method, path, {"transaction": fields})
        return result

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[ProcessorResult, dict[str, Any]]:
        try:
            async with self._client() as client:
                reply = await client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            log.warning("spreedly did not answer: %s", type(exc).__name__)
            return ProcessorResult(Outcome.TIMEOUT, message="Spreedly did not answer"), {}
        try:
            data: dict[str, Any] = reply.json()
        except ValueError:
            data = {}
        if reply.status_code >= 500:
            return ProcessorResult(Outcome.TIMEOUT, code=str(reply.status_code)), data
        transaction = data.get("transaction")
        if isinstance(transaction, dict) and reply.status_code in (200, 201, 202, 422):
            return _of_transaction(transaction), transaction
        errors = data.get("errors") or [{}]
        key = str(errors[0].get("key") or reply.status_code)
        message = str(errors[0].get("message") or "Spreedly refused the request")
        if reply.status_code == 404 or "not_found" in key:
            return ProcessorResult(Outcome.INVALID_TOKEN, code=key, message=message), data
        log.warning("spreedly refused a request: %s %s", reply.status_code, key)
        return ProcessorResult(Outcome.PROCESSOR_ERROR, code=key, message=message), data


def _of_transaction(transaction: dict[str, Any]) -> ProcessorResult:
    response = transaction.get("response") or {}
    reference = transaction.get("token")
    amount = transaction.get("amount")
    money = None if amount is None else Decimal(int(amount)) / 100
    card = _card(transaction)
    message = str(response.get("message") or transaction.get("message") or "")
    code = response.get("error_code") or None
    if transaction.get("succeeded"):
        return ProcessorResult(
            Outcome.APPROVED,
            reference,
            money,
            code="approved",
            message=message or "Succeeded!",
            card=card,
        )
    if response.get("pending") or response.get("result_unknown"):
        return ProcessorResult(Outcome.TIMEOUT, reference, message=message or "Pending")
    state = transaction.get("state")
    if state in ("gateway_processing_failed", "gateway_setup_failed", "gateway_timeout"):
        outcome = Outcome.PROCESSOR_ERROR
    elif any(word in message.lower() for word in _NO_FUNDS):
        outcome = Outcome.INSUFFICIENT_FUNDS
    else:
        outcome = Outcome.DECLINED
    return ProcessorResult(
        outcome, reference, code=code or state, message=message or state, card=card
    )


def _card(transaction: dict[str, Any]) -> CardDisplay | None:
    method = transaction.get("payment_method")
    if not isinstance(method, dict) or not method.get("last_four_digits"):
        return None
    brand = str(method.get("card_type") or "")
    return CardDisplay(
        _BRANDS.get(brand, brand.upper()),
        str(method["last_four_digits"]),
        method.get("month"),
        method.get("year"),
    )


def _address(address: BillingAddress) -> dict[str, str]:
    fields = {
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "state": address.state_province,
        "zip": address.postal_code,
        "country": address.country,
    }
    return {k: v for k, v in fields.items() if v}

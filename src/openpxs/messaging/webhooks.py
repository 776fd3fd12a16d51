"""Delivery of signed webhooks (outbox channel ``webhook``): the event's JSON POSTed to
the endpoint the program names, with an OpenPXS-Signature header over the time of the
attempt and the body (``domain.webhooks``).

A 2xx answer delivers it. A timeout, a connection failure, 408, 429 or a 5xx is tried
again later with the outbox's backoff, and given up after its attempts; any other
answer (the receiver refused it: 400, 401, 404, ...) is given up at once. Given-up
deliveries keep their body, so ``openpxs webhooks replay`` can send them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from openpxs.messaging.outbox import OutgoingMessage
from openpxs.messaging.transports import ChannelTransport, DeliveryError, Transport, Undeliverable
from openpxs.processors.secrets import SecretUnavailable, read_secret
from openpxs.settings import Settings
from openpxs.store.uow import unit_of_work

# Answers worth trying again: the receiver is overloaded or briefly away.
RETRIED_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "OpenPXS-Webhooks/1"


class WebhookTransport:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.clock = clock
        # No redirects: a receiver that moved is an operator's change to the program.
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "webhook":
            raise Undeliverable(f"the webhook transport cannot send {message.channel}")
        async with unit_of_work(self.engine) as uow:
            program = await uow.programs.load(message.merchant_id)
        endpoint = program.outreach.webhook(message.recipient)
        if endpoint is None:
            raise Undeliverable(f"no webhook endpoint {message.recipient!r} in the program")
        try:
            secret = read_secret(endpoint.secret)
        except SecretUnavailable as exc:
            # The operator may put the secret back: tried again, not given up.
            raise DeliveryError(str(exc)) from None
        body = message.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(secret, int(self.clock()), body),
            EVENT_HEADER: message.subject or "",
            DELIVERY_HEADER: str(message.id),
        }
        try:
            response = await self._client.post(endpoint.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError(f"webhook {endpoint.name}: no answer in time") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {endpoint.name}: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        text = f"webhook {endpoint.name} answered {status}"
        if status >= 500 or status in RETRIED_STATUSES:
            raise DeliveryError(text)
        raise Undeliverable(text)

    async def aclose(self) -> None:
        await self._client.aclose()


def with_webhooks(
    transport: Transport, settings: Settings, engine: AsyncEngine
) -> ChannelTransport:
    """``transport``, with webhook events posted to the endpoints the programs name."""
    return ChannelTransport(
        transport,
        {"webhook": WebhookTransport(engine, timeout=settings.webhook_timeout_seconds)},
    )

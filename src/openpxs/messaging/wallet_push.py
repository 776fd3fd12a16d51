"""Delivery of wallet pass updates: Apple Wallet pass-update pushes (outbox channel
``pass_update``) and Google Wallet object updates (``google_wallet``).

The certificate a push is sent with is the merchant's Pass Type ID certificate, so the
transport reads the merchant's program for it; one APNs client (and its HTTP/2
connection) is kept per certificate and push URL.
"""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncEngine

from openpxs.integrations.apns import ApnsClient
from openpxs.integrations.google_wallet import GoogleWalletClient, ServiceAccount, WalletApiError
from openpxs.integrations.push import PushRejected, PushUnavailable, TokenUnregistered
from openpxs.messaging.outbox import OutgoingMessage
from openpxs.messaging.transports import ChannelTransport, DeliveryError, Transport
from openpxs.settings import Settings
from openpxs.store.uow import unit_of_work


class PassUpdateTransport:
    def __init__(self, engine: AsyncEngine, *, ca_file: str | None = None) -> None:
        self.engine = engine
        self.ca_file = ca_file or None
        self._clients: dict[tuple[str, str, str], ApnsClient] = {}

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "pass_update":
            raise DeliveryError(f"the pass-update transport cannot send {message.channel}")
        async with unit_of_work(self.engine) as uow:
            program = await uow.programs.load(message.merchant_id)
        apple = program.wallet_passes.apple
        if apple is None or apple.pass_type_identifier != message.subject:
            # The merchant no longer has these passes: nothing to wake.
            return
        key = (apple.push_url, apple.certificate_file, apple.private_key_file)
        client = self._clients.get(key)
        if client is None:
            try:
                client = ApnsClient(
                    cert_file=apple.certificate_file,
                    key_file=apple.private_key_file,
                    base_url=apple.push_url,
                    ca_file=self.ca_file,
                )
            except (OSError, ValueError) as exc:
                raise DeliveryError(f"pass certificate unusable: {type(exc).__name__}") from None
            self._clients[key] = client
        try:
            # An empty payload: the device asks the web service which passes changed.
            await client.send(message.recipient, apple.pass_type_identifier, {}, push_type=None)
        except TokenUnregistered:
            return  # the device unregisters the pass through the web service itself
        except (PushRejected, PushUnavailable) as exc:
            raise DeliveryError(str(exc)) from None

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


class GoogleWalletTransport:
    """Google Wallet loyalty object updates (outbox channel ``google_wallet``): the body
    is the JSON patch, sent with the merchant's service account."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._clients: dict[tuple[str, str], GoogleWalletClient] = {}

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "google_wallet":
            raise DeliveryError(f"the Google Wallet transport cannot send {message.channel}")
        async with unit_of_work(self.engine) as uow:
            program = await uow.programs.load(message.merchant_id)
        google = program.wallet_passes.google
        if google is None:
            return
        key = (google.api_url, google.service_account_key_file)
        client = self._clients.get(key)
        if client is None:
            try:
                account = ServiceAccount.from_file(google.service_account_key_file)
            except (OSError, ValueError, KeyError) as exc:
                raise DeliveryError(f"service account key unusable: {type(exc).__name__}") from None
            client = self._clients[key] = GoogleWalletClient(account, base_url=google.api_url)
        try:
            await client.patch_loyalty_object(message.recipient, json.loads(message.body))
        except WalletApiError as exc:
            raise DeliveryError(str(exc)) from None

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


def with_wallet_updates(transport: Transport, settings: Settings, engine: AsyncEngine) -> Transport:
    """``transport``, with wallet pass updates sent to Apple and Google when
    OPENPXS_WALLET_UPDATES=send (else they go through ``transport`` like the rest)."""
    if settings.wallet_updates != "send":
        return transport
    return ChannelTransport(
        transport,
        {
            "pass_update": PassUpdateTransport(engine, ca_file=settings.wallet_push_ca_file),
            "google_wallet": GoogleWalletTransport(engine),
        },
    )

"""Pushes from the outbox: one message per phone (channel ``apns`` or ``fcm``), its
recipient the device token, its subject the app's identifier (the APNs topic), its body
the JSON that ``services.push_devices.push_body`` wrote (title, body, data)."""

from __future__ import annotations

import json
from typing import Any

from openpxs.integrations.apns import ApnsClient, PushType
from openpxs.integrations.fcm import FcmClient
from openpxs.integrations.push import PushError, PushRejected, TokenUnregistered
from openpxs.messaging.outbox import OutgoingMessage
from openpxs.messaging.transports import DeliveryError, RecipientGone, Undeliverable
from openpxs.settings import Settings


def _content(message: OutgoingMessage) -> dict[str, Any]:
    try:
        content = json.loads(message.body)
    except ValueError:
        raise Undeliverable("the push body is not JSON") from None
    if not isinstance(content, dict):
        raise Undeliverable("the push body is not a JSON object")
    return content


def _raise(exc: PushError) -> None:
    if isinstance(exc, TokenUnregistered):
        raise RecipientGone(str(exc)) from None
    if isinstance(exc, PushRejected):
        raise Undeliverable(str(exc)) from None
    raise DeliveryError(str(exc)) from None


def apns_payload(content: dict[str, Any]) -> dict[str, Any]:
    """An alert with the title and body, custom keys beside ``aps``; a push with no
    text (Apple Wallet's pass update) is the empty payload Wallet expects."""
    payload: dict[str, Any] = {k: v for k, v in (content.get("data") or {}).items() if k != "aps"}
    alert = {k: content[k] for k in ("title", "body") if content.get(k)}
    if alert:
        payload["aps"] = {"alert": alert}
    return payload


class ApnsTransport:
    """Pushes to the merchants' iPhone apps. (Apple Wallet pass updates are not sent
    here: each merchant's own pass certificate sends them, ``messaging.wallet_push``.)"""

    def __init__(self, client: ApnsClient) -> None:
        self.client = client

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "apns":
            raise Undeliverable(f"APNs cannot send {message.channel} messages")
        topic = message.subject or ""
        if not topic:
            raise Undeliverable("an APNs push needs its topic as the subject")
        content = _content(message)
        payload = apns_payload(content)
        client = self.client
        push_type: PushType = "alert" if "aps" in payload else "background"
        try:
            await client.send(
                message.recipient,
                topic,
                payload,
                push_type=push_type,
                priority=10 if push_type == "alert" else 5,
            )
        except PushError as exc:
            _raise(exc)

    async def aclose(self) -> None:
        await self.client.aclose()


class FcmTransport:
    """Pushes to Android phones through FCM HTTP v1."""

    def __init__(self, client: FcmClient) -> None:
        self.client = client

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "fcm":
            raise Undeliverable(f"FCM cannot send {message.channel} messages")
        content = _content(message)
        notification = {k: content[k] for k in ("title", "body") if content.get(k)}
        data = {str(k): str(v) for k, v in (content.get("data") or {}).items()}
        try:
            await self.client.send(message.recipient, notification=notification, data=data)
        except PushError as exc:
            _raise(exc)

    async def aclose(self) -> None:
        await self.client.aclose()


def push_transports(settings: Settings) -> tuple[ApnsTransport | None, FcmTransport | None]:
    """The APNs and FCM transports the settings configure (None: not configured); a
    setting that cannot be used (a missing or unreadable key file) is a ValueError."""
    try:
        return _push_transports(settings)
    except OSError as exc:
        raise ValueError(f"push credentials cannot be read: {exc}") from None


def _push_transports(settings: Settings) -> tuple[ApnsTransport | None, FcmTransport | None]:
    apns: ApnsTransport | None = None
    ca_file = settings.push_ca_file or None
    common: dict[str, Any] = {
        "base_url": settings.apns_base_url,
        "ca_file": ca_file,
        "timeout": settings.push_timeout_seconds,
    }
    client: ApnsClient | None = None
    if settings.apns_key_file:
        with open(settings.apns_key_file, encoding="ascii") as key:
            client = ApnsClient(
                team_id=settings.apns_team_id,
                key_id=settings.apns_key_id,
                private_key=key.read(),
                **common,
            )
    elif settings.apns_cert_file:
        client = ApnsClient(
            cert_file=settings.apns_cert_file,
            key_file=settings.apns_cert_key_file or None,
            **common,
        )
    if client is not None:
        apns = ApnsTransport(client)
    fcm: FcmTransport | None = None
    if settings.fcm_credentials_file:
        fcm = FcmTransport(
            FcmClient.from_service_account_file(
                settings.fcm_credentials_file,
                base_url=settings.fcm_base_url,
                token_url=settings.fcm_token_url,
                project_id=settings.fcm_project_id or None,
                ca_file=ca_file,
                timeout=settings.push_timeout_seconds,
            )
        )
    return apns, fcm

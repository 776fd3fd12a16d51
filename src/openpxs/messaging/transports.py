"""How an outbox message leaves the server: a ``Transport`` sends one message or raises.

``LogTransport`` sends nothing anywhere: it logs that a message went out and keeps the
last ones in memory, for development, the demo and tests. ``SmtpTransport`` hands
e-mail to an SMTP relay. There is no SMS gateway: SMS messages always go to a
``LogTransport`` (see ``transport_from_settings``).
"""

from __future__ import annotations

import logging
from collections import deque
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

import aiosmtplib

from openpxs.messaging.outbox import OutgoingMessage
from openpxs.settings import Settings

log = logging.getLogger("openpxs.messages")


class Transport(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message``, or raise: the worker then retries it later."""
        ...


class DeliveryError(Exception):
    """A send failed; the text is safe to store and log (no credentials, no body)."""


def mask_recipient(recipient: str) -> str:
    """Enough of an address to tell messages apart in a log, not enough to contact anyone.

    ``dana@example.com`` becomes ``d***@example.com``, ``+1 617 555 0199`` ``***0199``.
    """
    local, at, domain = recipient.rpartition("@")
    if at and local:
        return f"{local[0]}***@{domain}"
    tail = recipient[-4:] if len(recipient) > 6 else ""
    return f"***{tail}"


class LogTransport:
    """Logs one line per message (never the body) and keeps the last ``keep`` messages.

    ``sent`` holds whole messages, bodies included, so a test or the demo can read a
    verification code; it lives only in this process's memory and is bounded.
    """

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[OutgoingMessage] = deque(maxlen=keep)

    async def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)
        log.info(
            "message sent",
            extra={
                "fields": {
                    "outbox_id": message.id,
                    "merchant_id": message.merchant_id,
                    "channel": message.channel,
                    "recipient": mask_recipient(message.recipient),
                    "subject": message.subject,
                }
            },
        )


class SmtpTransport:
    """E-mail through an SMTP relay; one connection per message (aiosmtplib)."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        from_address: str = "OpenPXS <no-reply@localhost>",
        timeout: float = 10.0,
    ) -> None:
        if not host:
            raise ValueError("an SMTP transport needs a host (OPENPXS_SMTP_HOST)")
        self.host, self.port, self.timeout = host, port, timeout
        self.username = username or None
        self._password = password or None
        self.starttls = starttls
        self.from_address = from_address

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            from_address=settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
        )

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.recipient
        if message.subject is not None:
            email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # Derived from the outbox row, so a message sent twice (a worker that died
        # between sending and recording it) reaches the guest with one Message-ID,
        # which lets mail systems drop the duplicate.
        domain = parseaddr(self.from_address)[1].rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<outbox-{message.merchant_id}-{message.id}@{domain}>"
        email.set_content(message.body)
        return email

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "email":
            raise DeliveryError(f"SMTP cannot send {message.channel} messages")
        try:
            await aiosmtplib.send(
                self.compose(message),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self._password,
                # An explicit False, not aiosmtplib's "upgrade when offered": a local
                # relay with a self-signed certificate would otherwise fail every send.
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Re-raised without the chain: the text is stored in last_error and logged,
            # and it must not carry the relay password, whatever the server echoed.
            raise DeliveryError(self._redact(f"{type(exc).__name__}: {exc}")) from None

    def _redact(self, text: str) -> str:
        if self._password:
            text = text.replace(self._password, "***")
        return text


class RoutingTransport:
    """One transport per channel."""

    def __init__(self, *, email: Transport, sms: Transport) -> None:
        self.email, self.sms = email, sms

    async def send(self, message: OutgoingMessage) -> None:
        transport = self.email if message.channel == "email" else self.sms
        await transport.send(message)


class ChannelTransport:
    """Some channels through their own transports, the rest through ``default``."""

    def __init__(self, default: Transport, channels: dict[str, Transport]) -> None:
        self.default, self.channels = default, channels

    async def send(self, message: OutgoingMessage) -> None:
        await self.channels.get(message.channel, self.default).send(message)


def transport_from_settings(settings: Settings) -> Transport:
    """The transport OPENPXS_MAIL_TRANSPORT names.

    ``log``: a ``LogTransport`` for both channels. ``smtp``: e-mail through the relay,
    SMS to a ``LogTransport`` (reach it as ``transport.sms``), as there is no gateway.
    """
    if settings.mail_transport == "smtp":
        return RoutingTransport(email=SmtpTransport.from_settings(settings), sms=LogTransport())
    return LogTransport()


def log_transport(transport: Transport) -> LogTransport | None:
    """The ``LogTransport`` inside ``transport`` (itself, or the SMS one of a router)."""
    if isinstance(transport, LogTransport):
        return transport
    if isinstance(transport, RoutingTransport):
        return log_transport(transport.sms)
    if isinstance(transport, ChannelTransport):
        return log_transport(transport.default)
    return None

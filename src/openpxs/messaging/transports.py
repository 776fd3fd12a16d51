"""How an outbox message leaves the server: a ``Transport`` sends one message or raises.

``LogTransport`` sends nothing anywhere: it logs that a message went out and keeps the
last ones in memory, for development, the demo and tests. ``SmtpTransport`` hands
e-mail to an SMTP relay; ``messaging.push`` holds the APNs and FCM transports. A
channel with no configured service goes to a ``LogTransport`` (see
``transport_from_settings``).
"""

from __future__ import annotations

import logging
from collections import deque
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

import aiosmtplib

from openpxs.integrations.sms import SmsError, SmsOptedOut, SmsProvider, SmsRejected, TwilioSms
from openpxs.messaging.outbox import OutgoingMessage
from openpxs.settings import Settings

log = logging.getLogger("openpxs.messages")


class Transport(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message``, or raise: the worker then retries it later."""
        ...


class DeliveryError(Exception):
    """A send failed; the text is safe to store and log (no credentials, no body)."""


class Undeliverable(DeliveryError):
    """The service refused this message for good: it is given up at once, not retried."""


class RecipientGone(Undeliverable):
    """The recipient no longer exists there (a push token of an app that was removed):
    given up at once, and the worker forgets the recipient."""


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
        if message.html is not None:
            email.add_alternative(message.html, subtype="html")
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


class SmsTransport:
    """Texts through an SMS provider (``integrations.sms``)."""

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsTransport:
        return cls(
            TwilioSms(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token,
                from_number=settings.twilio_from_number or None,
                messaging_service_sid=settings.twilio_messaging_service_sid or None,
                base_url=settings.twilio_base_url,
                default_country_code=settings.sms_default_country_code,
                ca_file=settings.push_ca_file or None,
                timeout=settings.push_timeout_seconds,
            )
        )

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel != "sms":
            raise Undeliverable(f"an SMS provider cannot send {message.channel} messages")
        try:
            await self.provider.send_sms(message.recipient, message.body)
        except SmsOptedOut as exc:
            raise RecipientGone(str(exc)) from None
        except SmsRejected as exc:
            raise Undeliverable(str(exc)) from None
        except SmsError as exc:
            raise DeliveryError(str(exc)) from None


class RoutingTransport:
    """One transport per channel; a channel given none goes to ``log``."""

    def __init__(
        self,
        *,
        email: Transport,
        sms: Transport,
        apns: Transport | None = None,
        fcm: Transport | None = None,
        log: LogTransport | None = None,
    ) -> None:
        self.log = log or (sms if isinstance(sms, LogTransport) else LogTransport())
        self.email, self.sms = email, sms
        self.apns: Transport = apns or self.log
        self.fcm: Transport = fcm or self.log

    def for_channel(self, channel: str) -> Transport:
        routes: dict[str, Transport] = {
            "email": self.email,
            "sms": self.sms,
            "apns": self.apns,
            "fcm": self.fcm,
        }
        return routes.get(channel, self.log)

    async def send(self, message: OutgoingMessage) -> None:
        await self.for_channel(message.channel).send(message)

    async def aclose(self) -> None:
        """Close the connections the push clients keep open."""
        for transport in (self.apns, self.fcm):
            close = getattr(transport, "aclose", None)
            if close is not None:
                await close()


class ChannelTransport:
    """Some channels through their own transports, the rest through ``default``."""

    def __init__(self, default: Transport, channels: dict[str, Transport]) -> None:
        self.default, self.channels = default, channels

    async def send(self, message: OutgoingMessage) -> None:
        await self.channels.get(message.channel, self.default).send(message)

    async def aclose(self) -> None:
        """Close the connections the transports keep open."""
        for transport in (self.default, *self.channels.values()):
            close = getattr(transport, "aclose", None) or getattr(transport, "close", None)
            if close is not None:
                await close()


def transport_from_settings(settings: Settings) -> Transport:
    """The transports the settings configure, one per channel.

    E-mail: OPENPXS_MAIL_TRANSPORT (``log`` or ``smtp``); SMS: OPENPXS_SMS_TRANSPORT
    (``log`` or ``twilio``). Pushes: APNs and FCM when
    their credentials are set. Channels without a configured service go to one
    ``LogTransport`` (reach it with ``log_transport``); with none configured at all the
    transport is that ``LogTransport`` itself.
    """
    from openpxs.messaging.push import push_transports

    apns, fcm = push_transports(settings)
    smtp, twilio = settings.mail_transport == "smtp", settings.sms_transport == "twilio"
    if not smtp and not twilio and apns is None and fcm is None:
        return LogTransport()
    log = LogTransport()
    email: Transport = SmtpTransport.from_settings(settings) if smtp else log
    sms: Transport = SmsTransport.from_settings(settings) if twilio else log
    return RoutingTransport(email=email, sms=sms, apns=apns, fcm=fcm, log=log)


def log_transport(transport: Transport) -> LogTransport | None:
    """The ``LogTransport`` inside ``transport`` (itself, or the SMS one of a router)."""
    if isinstance(transport, LogTransport):
        return transport
    if isinstance(transport, RoutingTransport):
        return transport.log
    if isinstance(transport, ChannelTransport):
        return log_transport(transport.default)
    return None

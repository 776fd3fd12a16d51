"""Outbound guest messages: verification codes, password resets, SMS enrollment texts,
pushes.

A service calls ``enqueue`` on its own connection, in the transaction of the change the
message belongs to; the ``OutboxWorker`` of every server process delivers committed
messages afterwards through a ``Transport``. A change that rolls back sends nothing.
"""

from openpxs.messaging.outbox import OutboxCounts, OutgoingMessage, enqueue
from openpxs.messaging.transports import (
    DeliveryError,
    LogTransport,
    RecipientGone,
    RoutingTransport,
    SmsTransport,
    SmtpTransport,
    Transport,
    Undeliverable,
    log_transport,
    transport_from_settings,
)
from openpxs.messaging.worker import OutboxWorker, deliver_due, deliver_everything_due

__all__ = [
    "DeliveryError",
    "LogTransport",
    "OutboxCounts",
    "OutboxWorker",
    "OutgoingMessage",
    "RecipientGone",
    "RoutingTransport",
    "SmsTransport",
    "SmtpTransport",
    "Transport",
    "Undeliverable",
    "deliver_due",
    "deliver_everything_due",
    "enqueue",
    "log_transport",
    "transport_from_settings",
]

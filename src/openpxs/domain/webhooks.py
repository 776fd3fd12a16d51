"""Signed webhooks: the events a merchant's receivers may subscribe to, and the
signature each delivery carries.

A delivery is signed over its timestamp and its exact body, so a receiver can tell that
it comes from this server (it knows the shared secret) and that it is recent (it refuses
old timestamps, which stops a captured delivery from being replayed later):

    OpenPXS-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + body)>

Several ``v1`` values may be given one day (while a secret is being changed); a
receiver accepts the delivery when any of them matches.
"""

from __future__ import annotations

import hashlib
import hmac

VALUE_MOVED = "value.moved"
ACCOUNT_ENROLLED = "account.enrolled"
CHALLENGE_COMPLETED = "challenge.completed"
GIFT_DELIVERED = "gift.delivered"
EVENT_TYPES = (VALUE_MOVED, ACCOUNT_ENROLLED, CHALLENGE_COMPLETED, GIFT_DELIVERED)

SIGNATURE_HEADER = "OpenPXS-Signature"
EVENT_HEADER = "OpenPXS-Event"
DELIVERY_HEADER = "OpenPXS-Delivery"
# How old a delivery a receiver should still accept, in seconds (the advice of the
# docs; a retried delivery is signed anew when it is sent, so it is never older).
REPLAY_WINDOW_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` keyed with ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The OpenPXS-Signature header's value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: int,
    *,
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and its timestamp lies within
    ``window`` seconds of ``now``: what a receiver does (docs/webhooks.md)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > window:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)

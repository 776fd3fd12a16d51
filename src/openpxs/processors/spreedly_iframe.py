"""The parameters of an authenticated ("enhanced security") Spreedly iFrame.

Before each tokenization the client asks the server (payment/spreedlyIframeParams) for a
fresh nonce and timestamp with the certificate token and a signature over them, and
passes them to ``Spreedly.init``; Spreedly checks the signature with the certificate the
merchant uploaded. The signature is the hex HMAC-SHA256, keyed with the certificate's
private key (PEM text), of nonce + timestamp + certificate token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IframeParams:
    environment_key: str
    nonce: str | None = None
    timestamp: str | None = None
    certificate_token: str | None = None
    signature: str | None = None


def signature(private_key: str, nonce: str, timestamp: str, certificate_token: str) -> str:
    message = f"{nonce}{timestamp}{certificate_token}".encode()
    return hmac.new(private_key.encode(), message, hashlib.sha256).hexdigest()


def iframe_params(
    environment_key: str,
    now: datetime,
    certificate_token: str | None = None,
    private_key: str | None = None,
) -> IframeParams:
    """Fresh parameters: a new nonce every call, never to be reused."""
    if certificate_token is None or private_key is None:
        return IframeParams(environment_key)
    nonce = secrets.token_hex(16)
    timestamp = str(int(now.timestamp()))
    return IframeParams(
        environment_key,
        nonce,
        timestamp,
        certificate_token,
        signature(private_key, nonce, timestamp, certificate_token),
    )

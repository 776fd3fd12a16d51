"""Apple Wallet pass-update pushes: APNs over HTTP/2 with certificate authentication.

Wallet passes are not woken with a message: the push is an empty JSON object sent to
the device's push token with the pass type identifier as ``apns-topic``, over a TLS
connection authenticated by the merchant's Pass Type ID certificate. The device then
asks the PassKit web service which of its passes changed.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal

import httpx

PRODUCTION_URL = "https://api.push.apple.com"


class PushRejected(Exception):
    """APNs refused the push (a status other than 200 or 410), or could not be reached;
    the text holds the status and APNs's reason, never a certificate."""


@dataclass(frozen=True)
class PushResult:
    # "sent": accepted (200); "unregistered": the token is no longer valid (410), the
    # device will unregister the pass itself through the web service.
    outcome: Literal["sent", "unregistered"]
    apns_id: str | None = None


class ApplePassPush:
    """One HTTP/2 connection pool per certificate, kept open between pushes (APNs asks
    providers to reuse connections rather than open one per notification)."""

    def __init__(
        self,
        certificate_file: str,
        private_key_file: str,
        *,
        base_url: str = PRODUCTION_URL,
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        context = ssl.create_default_context(cafile=ca_file or None)
        context.load_cert_chain(certificate_file, private_key_file)
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            http2=True, verify=context, timeout=timeout, base_url=self.base_url
        )

    async def push(self, push_token: str, pass_type_identifier: str) -> PushResult:
        """Tell the device with ``push_token`` that its pass of that type changed."""
        if not push_token or "/" in push_token or len(push_token) > 200:
            raise PushRejected("not a device push token")
        try:
            response = await self._client.post(
                f"/3/device/{push_token}",
                headers={"apns-topic": pass_type_identifier, "content-type": "application/json"},
                content=b"{}",
            )
        except httpx.HTTPError as exc:
            raise PushRejected(f"APNs not reached: {type(exc).__name__}") from None
        apns_id = response.headers.get("apns-id")
        if response.status_code == 200:
            return PushResult("sent", apns_id)
        if response.status_code == 410:
            return PushResult("unregistered", apns_id)
        raise PushRejected(f"APNs answered {response.status_code}: {_reason(response)}")

    async def close(self) -> None:
        await self._client.aclose()


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no reason"
    reason = body.get("reason") if isinstance(body, dict) else None
    return str(reason)[:100] if reason else "no reason"

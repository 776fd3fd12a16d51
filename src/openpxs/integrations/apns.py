"""A client of the Apple Push Notification service's HTTP/2 API.

``POST {base_url}/3/device/{token}`` with the JSON payload and the ``apns-topic``,
``apns-push-type`` (and optional priority, expiration, collapse id) headers. Two ways
to authenticate, as Apple offers:

- token auth: an ES256 JWT (``iss`` the team id, ``iat``; header ``kid`` the key id)
  made from the .p8 key, sent as ``authorization: bearer``. Apple refuses a token
  renewed more often than every 20 minutes and one older than an hour, so one token is
  made and reused for ``token_lifetime`` (50 minutes), and remade early only when
  Apple answers ``ExpiredProviderToken``;
- certificate auth: a client TLS certificate (the pass-type certificate of Apple
  Wallet's pass-update pushes, or an app's push certificate).

Answers: 200 sent; 410 ``Unregistered``: the app is gone from the phone (the token is
to be forgotten); other 4xx (``BadDeviceToken`` among them) refuse the push for good,
except 403 ``ExpiredProviderToken`` and 429, which may pass and are tried again like
5xx.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx

from openpxs.integrations.push import PushRejected, PushUnavailable, TokenUnregistered
from openpxs.integrations.push.jwt import es256, load_private_key

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"

PushType = Literal["alert", "background", "voip", "complication", "fileprovider", "mdm"]

# The reason that says the app is no longer on the phone: forget the token.
GONE_REASONS = frozenset({"Unregistered"})
RETRY_REASONS = frozenset(
    {"ExpiredProviderToken", "TooManyRequests", "InternalServerError", "ServiceUnavailable"}
)


class ApnsClient:
    """One HTTP/2 connection to APNs, reused for every send; close it with ``aclose``."""

    def __init__(
        self,
        *,
        base_url: str = PRODUCTION_URL,
        team_id: str | None = None,
        key_id: str | None = None,
        private_key: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        ca_file: str | None = None,
        timeout: float = 10.0,
        token_lifetime: float = 50 * 60,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        token_auth = bool(team_id and key_id and private_key)
        if token_auth == bool(cert_file):
            raise ValueError(
                "APNs needs either token auth (team id, key id, .p8 key) or a client certificate"
            )
        self.base_url = base_url.rstrip("/")
        self.team_id, self.key_id = team_id, key_id
        self._key = load_private_key(private_key) if private_key else None
        self.token_lifetime = token_lifetime
        self.clock = clock
        self._token: tuple[str, float] | None = None
        # How many provider tokens this client has made (monitoring and tests).
        self.tokens_made = 0
        context = ssl.create_default_context(cafile=ca_file)
        if cert_file:
            context.load_cert_chain(cert_file, key_file)
        self._client_args: dict[str, Any] = {
            "http1": False,
            "http2": True,
            "timeout": timeout,
            "verify": context,
            "transport": transport,
        }
        self._client: httpx.AsyncClient | None = None

    @property
    def uses_certificate(self) -> bool:
        return self._key is None

    def provider_token(self) -> str:
        """The cached provider token, made anew once it is ``token_lifetime`` old."""
        now = self.clock()
        if self._token is not None and now - self._token[1] < self.token_lifetime:
            return self._token[0]
        from cryptography.hazmat.primitives.asymmetric import ec

        assert self._key is not None and self.key_id and self.team_id
        if not isinstance(self._key, ec.EllipticCurvePrivateKey):
            raise ValueError("the APNs key must be a P-256 (.p8) key")
        token = es256({"iss": self.team_id, "iat": int(now)}, self._key, kid=self.key_id)
        self._token = (token, now)
        self.tokens_made += 1
        return token

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(**self._client_args)
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def send(
        self,
        token: str,
        topic: str,
        payload: dict[str, Any],
        *,
        push_type: PushType | None = "alert",
        priority: int | None = None,
        expiration: int | None = None,
        collapse_id: str | None = None,
    ) -> str | None:
        """Send one push; returns the ``apns-id`` Apple gave it. ``push_type`` None sends
        no ``apns-push-type``, as a Wallet pass-update push (an empty payload) is sent."""
        if not token or "/" in token or len(token) > 200:
            raise PushRejected("not a device push token")
        headers = {"apns-topic": topic}
        if push_type is not None:
            headers["apns-push-type"] = push_type
        if priority is not None:
            headers["apns-priority"] = str(priority)
        if expiration is not None:
            headers["apns-expiration"] = str(expiration)
        if collapse_id is not None:
            headers["apns-collapse-id"] = collapse_id
        if self._key is not None:
            headers["authorization"] = f"bearer {self.provider_token()}"
        body = json.dumps(payload, separators=(",", ":")).encode()
        try:
            response = await self._http().post(
                f"{self.base_url}/3/device/{token}", content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise PushUnavailable(f"APNs unreachable: {type(exc).__name__}") from None
        if response.status_code == 200:
            apns_id: str | None = response.headers.get("apns-id")
            return apns_id
        reason = _reason(response)
        text = f"APNs {response.status_code} {reason}"
        if reason == "ExpiredProviderToken":
            self._token = None
        if response.status_code == 410 or reason in GONE_REASONS:
            raise TokenUnregistered(text)
        if response.status_code >= 500 or response.status_code == 429 or reason in RETRY_REASONS:
            raise PushUnavailable(text)
        raise PushRejected(text)


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return "(no reason)"
    reason = data.get("reason") if isinstance(data, dict) else None
    return str(reason)[:100] if reason else "(no reason)"

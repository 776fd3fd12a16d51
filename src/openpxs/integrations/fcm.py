"""A client of Firebase Cloud Messaging's HTTP v1 API.

``POST {base_url}/v1/projects/{project}/messages:send`` with
``{"message": {"token": ..., "notification": {...}, "data": {...}}}`` and an OAuth 2.0
access token of the project's service account. The access token comes from Google's
token endpoint by a JWT grant (RFC 7523: an RS256 assertion with ``iss`` the account's
e-mail, ``scope`` firebase.messaging, ``aud`` the token URL); it is cached and reused
until a minute before it expires, not fetched per send.

Answers: 200 sent; 404 ``UNREGISTERED`` (the app is gone from the phone): the token is
to be forgotten; 401 drops the cached access token and is tried again; 429 and 5xx may
pass and are tried again; other 4xx (``INVALID_ARGUMENT``, ``SENDER_ID_MISMATCH``)
refuse the push for good.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from openpxs.integrations.push import PushRejected, PushUnavailable, TokenUnregistered
from openpxs.integrations.push.jwt import load_private_key, rs256

PRODUCTION_URL = "https://fcm.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# An access token is renewed this long before Google says it expires.
EARLY_RENEWAL = 60.0


class FcmClient:
    """One HTTP/2 connection, reused; close it with ``aclose``."""

    def __init__(
        self,
        *,
        project_id: str,
        client_email: str,
        private_key: str,
        private_key_id: str | None = None,
        base_url: str = PRODUCTION_URL,
        token_url: str = TOKEN_URL,
        ca_file: str | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key = load_private_key(private_key)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("a service account key is an RSA key")
        if not project_id or not client_email:
            raise ValueError("FCM needs the project id and the service account's e-mail")
        self._key = key
        self.project_id, self.client_email = project_id, client_email
        self.private_key_id = private_key_id
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.clock = clock
        self._access: tuple[str, float] | None = None
        self._lock = asyncio.Lock()
        # How many access tokens this client has fetched (monitoring and tests).
        self.tokens_fetched = 0
        self._client_args: dict[str, Any] = {
            "http2": True,
            "timeout": timeout,
            "verify": ssl.create_default_context(cafile=ca_file),
            "transport": transport,
        }
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_service_account_file(cls, path: str, **options: Any) -> FcmClient:
        """A client from a service account's JSON key file (as the console gives it)."""
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
        project_id = options.pop("project_id", None) or info.get("project_id", "")
        return cls(
            project_id=project_id,
            client_email=info.get("client_email", ""),
            private_key=info.get("private_key", ""),
            private_key_id=info.get("private_key_id"),
            **options,
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(**self._client_args)
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def access_token(self) -> str:
        """The cached access token, fetched anew shortly before it expires."""
        async with self._lock:
            now = self.clock()
            if self._access is not None and now < self._access[1]:
                return self._access[0]
            assertion = rs256(
                {
                    "iss": self.client_email,
                    "scope": SCOPE,
                    "aud": self.token_url,
                    "iat": int(now),
                    "exp": int(now) + 3600,
                },
                self._key,
                kid=self.private_key_id,
            )
            try:
                response = await self._http().post(
                    self.token_url, data={"grant_type": GRANT_TYPE, "assertion": assertion}
                )
            except httpx.HTTPError as exc:
                raise PushUnavailable(f"token endpoint unreachable: {type(exc).__name__}") from None
            if response.status_code != 200:
                error = _field(response, "error")
                text = f"token endpoint {response.status_code} {error}"
                if response.status_code >= 500 or response.status_code == 429:
                    raise PushUnavailable(text)
                raise PushRejected(text)
            try:
                data = response.json()
                token = str(data["access_token"])
                lifetime = float(data.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise PushUnavailable("token endpoint answered without an access token") from None
            self._access = (token, now + max(lifetime - EARLY_RENEWAL, 0.0))
            self.tokens_fetched += 1
            return token

    async def send(
        self,
        token: str,
        *,
        notification: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> str | None:
        """Send one message; returns its name (``projects/.../messages/...``)."""
        message: dict[str, Any] = {"token": token}
        if notification:
            message["notification"] = notification
        if data:
            message["data"] = data
        bearer = await self.access_token()
        url = f"{self.base_url}/v1/projects/{self.project_id}/messages:send"
        try:
            response = await self._http().post(
                url, json={"message": message}, headers={"Authorization": f"Bearer {bearer}"}
            )
        except httpx.HTTPError as exc:
            raise PushUnavailable(f"FCM unreachable: {type(exc).__name__}") from None
        if response.status_code == 200:
            name = _field(response, "name")
            return name if name != "(none)" else None
        status = _error_status(response)
        text = f"FCM {response.status_code} {status}"
        if response.status_code == 401:
            self._access = None
            raise PushUnavailable(text)
        if response.status_code == 404 or status == "UNREGISTERED":
            raise TokenUnregistered(text)
        if response.status_code >= 500 or response.status_code == 429:
            raise PushUnavailable(text)
        raise PushRejected(text)


def _field(response: httpx.Response, name: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return "(none)"
    value = data.get(name) if isinstance(data, dict) else None
    return str(value)[:100] if value else "(none)"


def _error_status(response: httpx.Response) -> str:
    """FCM's error code: the FcmError detail's errorCode, else the Google status."""
    try:
        error = response.json().get("error", {})
        for detail in error.get("details", []):
            if detail.get("errorCode"):
                return str(detail["errorCode"])[:100]
        return str(error.get("status") or "(no status)")[:100]
    except (ValueError, AttributeError, TypeError):
        return "(no status)"

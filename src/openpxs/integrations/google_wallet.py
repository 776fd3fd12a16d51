"""Google Wallet: Save to Google Wallet tokens and loyalty object updates.

Both are signed with the merchant's service-account key through ``google-auth``
(google.auth.crypt / google.auth.jwt): the save token is an RS256 JWT whose issuer is
the service account; REST calls carry an OAuth access token obtained from the key's
token_uri with a signed assertion (RFC 7523), cached until shortly before it expires.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from google.auth import crypt, jwt

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
PRODUCTION_URL = "https://walletobjects.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
# An access token is renewed this long before Google says it expires.
_EARLY_SECONDS = 60


class WalletApiError(Exception):
    """The REST API or its token endpoint refused or could not be reached; no key or
    token is in the text."""


class ServiceAccount:
    """A service account's JSON key: its e-mail, signer and token endpoint."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.email = str(info["client_email"])
        self.token_uri = str(info.get("token_uri") or DEFAULT_TOKEN_URI)
        self.signer = crypt.RSASigner.from_service_account_info(info)  # type: ignore[no-untyped-call]

    @classmethod
    def from_file(cls, path: str) -> ServiceAccount:
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle))

    def sign(self, claims: dict[str, Any]) -> str:
        token: bytes = jwt.encode(self.signer, claims)  # type: ignore[no-untyped-call]
        return token.decode("ascii")


def save_jwt(
    account: ServiceAccount, loyalty_object: dict[str, Any], origins: list[str], now: int
) -> str:
    """The JWT behind a Save to Google Wallet button for ``loyalty_object``."""
    return account.sign(
        {
            "iss": account.email,
            "aud": "google",
            "typ": "savetowallet",
            "iat": now,
            "origins": origins,
            "payload": {"loyaltyObjects": [loyalty_object]},
        }
    )


class GoogleWalletClient:
    def __init__(
        self, account: ServiceAccount, *, base_url: str = PRODUCTION_URL, timeout: float = 10.0
    ) -> None:
        self.account = account
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout)
        self._token: tuple[str, float] | None = None

    async def _access_token(self) -> str:
        if self._token is not None and self._token[1] > time.time():
            return self._token[0]
        now = int(time.time())
        assertion = self.account.sign(
            {
                "iss": self.account.email,
                "scope": SCOPE,
                "aud": self.account.token_uri,
                "iat": now,
                "exp": now + 3600,
            }
        )
        try:
            response = await self._client.post(
                self.account.token_uri,
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": assertion,
                },
            )
        except httpx.HTTPError as exc:
            raise WalletApiError(f"token endpoint not reached: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise WalletApiError(f"token endpoint answered {response.status_code}")
        body = response.json()
        token = str(body["access_token"])
        lifetime = int(body.get("expires_in", 3600))
        self._token = (token, time.time() + max(lifetime - _EARLY_SECONDS, 0))
        return token

    async def patch_loyalty_object(self, object_id: str, changes: dict[str, Any]) -> bool:
        """Update the saved object; False when Google has no such object (the guest
        never saved the pass), which leaves nothing to update."""
        token = await self._access_token()
        url = f"{self.base_url}/walletobjects/v1/loyaltyObject/{object_id}"
        try:
            response = await self._client.patch(
                url, json=changes, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise WalletApiError(f"Google Wallet not reached: {type(exc).__name__}") from None
        if response.status_code == 404:
            return False
        if response.status_code == 401:
            self._token = None
        if response.status_code >= 300:
            raise WalletApiError(f"Google Wallet answered {response.status_code}")
        return True

    async def close(self) -> None:
        await self._client.aclose()

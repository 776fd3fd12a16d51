"""Apple's merchant services for Apple Pay on the web, over httpx with the merchant's
identity certificate.

- A merchant session: ``POST`` to the validationURL the browser's onvalidatemerchant
  event gives, with the merchant identifier, the display name, ``initiative: web`` and
  the domain; Apple's answer is opaque and goes back to the browser unchanged.
- Domains: ``POST {registration_url}/registerMerchant`` and ``/unregisterMerchant`` with
  ``domainNames`` (Apple's web merchant registration service).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("openpxs.payments.apple_pay")


class AppleRefused(Exception):
    """Apple answered with a refusal (4xx): the request itself was wrong."""


class AppleUnreachable(Exception):
    """Apple did not answer, or failed (5xx): trying again later may work."""


@dataclass(frozen=True)
class AppleMerchant:
    merchant_identifier: str
    display_name: str
    registration_url: str
    timeout: float
    certificate: tuple[str, str] | None = None  # (certificate file, key file)

    def _client(self) -> httpx.AsyncClient:
        if self.certificate is None:
            return httpx.AsyncClient(timeout=self.timeout)
        # The identity certificate authenticates the merchant to Apple (mutual TLS).
        context = ssl.create_default_context()
        context.load_cert_chain(*self.certificate)
        return httpx.AsyncClient(timeout=self.timeout, verify=context)

    async def merchant_session(
        self, validation_url: str, domain_name: str, display_name: str | None
    ) -> dict[str, Any]:
        return await self._post(
            validation_url,
            {
                "merchantIdentifier": self.merchant_identifier,
                "displayName": display_name or self.display_name,
                "initiative": "web",
                "initiativeContext": domain_name,
            },
        )

    async def register(self, domain_name: str) -> None:
        await self._post(
            f"{self.registration_url}/registerMerchant",
            {
                "domainNames": [domain_name],
                "encryptTo": self.merchant_identifier,
                "partnerInternalMerchantIdentifier": self.merchant_identifier,
                "partnerMerchantName": self.display_name,
            },
        )

    async def unregister(self, domain_name: str) -> None:
        await self._post(
            f"{self.registration_url}/unregisterMerchant",
            {
                "domainNames": [domain_name],
                "partnerInternalMerchantIdentifier": self.merchant_identifier,
            },
        )

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._client() as client:
                reply = await client.post(url, json=body)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("apple pay did not answer: %s", type(exc).__name__)
            raise AppleUnreachable(type(exc).__name__) from None
        if reply.status_code >= 500:
            raise AppleUnreachable(f"HTTP {reply.status_code}")
        if reply.status_code >= 400:
            raise AppleRefused(_reason(reply))
        try:
            data = reply.json()
        except ValueError:
            data = {}
        return data if isinstance(data, dict) else {}


def _reason(reply: httpx.Response) -> str:
    try:
        data = reply.json()
    except ValueError:
        return f"HTTP {reply.status_code}"
    if isinstance(data, dict):
        for key in ("statusMessage", "message", "error"):
            if data.get(key):
                return str(data[key])[:200]
    return f"HTTP {reply.status_code}"

"""Apple Pay on the web (payment/validateApplePayMerchant and the domain operations).

A domain is registered with Apple first and recorded here second, so a domain listed
here is one Apple knows; merchant validation is refused for any other domain, and for
a validationURL that does not point at one of Apple's gateways (the browser sends it,
and the server must not call an address a stranger chose).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from openpxs.config.payments import ApplePayConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.processors.apple_pay import AppleMerchant, AppleRefused, AppleUnreachable
from openpxs.services.context import Call

log = logging.getLogger("openpxs.payments.apple_pay")
T = TypeVar("T")

# A host name of letters, digits and hyphens in dot-separated labels, with a top level
# name of letters: what Apple registers (no scheme, path, port or address).
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class ApplePayDetails:
    settings: ApplePayConfig
    currency: str
    domains: list[str]


def settings_of(call: Call) -> ApplePayConfig:
    settings = call.program.payments.apple_pay
    if settings is None:
        raise Refused(Reason.APPLE_PAY_NOT_CONFIGURED, "the merchant has no Apple Pay settings")
    return settings


def domain_name(raw: str | None) -> str:
    """The domain as Apple registers it, or invalid_domain."""
    name = (raw or "").strip().lower().rstrip(".")
    if not _DOMAIN.match(name):
        raise Refused(Reason.INVALID_DOMAIN, "give a host name such as shop.example.com")
    return name


def _merchant(settings: ApplePayConfig) -> AppleMerchant:
    certificate = (
        (settings.identity_certificate_file, settings.identity_key_file)
        if settings.identity_certificate_file and settings.identity_key_file
        else None
    )
    return AppleMerchant(
        settings.merchant_identifier,
        settings.display_name,
        settings.registration_url,
        settings.timeout_seconds,
        certificate,
    )


async def details(call: Call) -> ApplePayDetails:
    settings = settings_of(call)
    domains = await call.uow.apple_pay_domains.domains(call.merchant_id)
    return ApplePayDetails(settings, call.program.payments.currency, domains)


async def register(call: Call, raw_domain: str | None) -> ApplePayDetails:
    """Register the domain with Apple and record it; a registered domain is left as is."""
    settings = settings_of(call)
    name = domain_name(raw_domain)
    if not await call.uow.apple_pay_domains.has(call.merchant_id, name):
        await _ask_apple(_merchant(settings).register(name), Reason.INVALID_DOMAIN)
        await call.uow.apple_pay_domains.add(call.merchant_id, name, call.now)
    return await details(call)


async def unregister(call: Call, raw_domain: str | None) -> ApplePayDetails:
    settings = settings_of(call)
    name = domain_name(raw_domain)
    if not await call.uow.apple_pay_domains.has(call.merchant_id, name):
        raise Refused(Reason.INVALID_DOMAIN, f"{name} is not registered")
    await _ask_apple(_merchant(settings).unregister(name), Reason.INVALID_DOMAIN)
    await call.uow.apple_pay_domains.remove(call.merchant_id, name)
    return await details(call)


async def merchant_session(
    call: Call, validation_url: str | None, raw_domain: str | None, display_name: str | None
) -> dict[str, Any]:
    """Apple's merchant session for the domain, unchanged."""
    settings = settings_of(call)
    name = domain_name(raw_domain)
    if not await call.uow.apple_pay_domains.has(call.merchant_id, name):
        raise Refused(Reason.INVALID_DOMAIN, f"{name} is not registered for Apple Pay")
    url = (validation_url or "").strip()
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" not in settings.validation_origins or parts.username:
        raise Refused(
            Reason.APPLE_PAY_VALIDATION_FAILED, "validationUrl is not an Apple Pay gateway"
        )
    return await _ask_apple(
        _merchant(settings).merchant_session(url, name, display_name),
        Reason.APPLE_PAY_VALIDATION_FAILED,
    )


async def _ask_apple(call: Awaitable[T], refused: Reason) -> T:
    try:
        return await call
    except AppleRefused as exc:
        raise Refused(refused, f"Apple refused: {exc}") from None
    except AppleUnreachable as exc:
        raise Refused(Reason.PROCESSOR_ERROR, f"Apple Pay did not answer ({exc})") from None

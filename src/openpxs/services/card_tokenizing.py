"""What clients need to tokenize a card with the merchant's processor: the public keys
paymentConfig shows, and fresh Spreedly iFrame parameters (payment/spreedlyIframeParams).
Never a secret: a secret only signs."""

from __future__ import annotations

from datetime import datetime

from openpxs.config.payments import (
    PaymentsConfig,
    SpreedlyProcessorConfig,
    StripeProcessorConfig,
)
from openpxs.domain.payments import PaymentsNotConfigured
from openpxs.processors.secrets import SecretUnavailable, read_secret
from openpxs.processors.spreedly_iframe import IframeParams, iframe_params


def client_params(payments: PaymentsConfig) -> dict[str, str]:
    """The public values the processor's client SDK needs."""
    settings = payments.processor
    if isinstance(settings, StripeProcessorConfig) and settings.publishable_key:
        return {"publishableKey": settings.publishable_key}
    if isinstance(settings, SpreedlyProcessorConfig):
        return {"environmentKey": settings.environment_key}
    return {}


def spreedly_iframe(payments: PaymentsConfig, now: datetime) -> IframeParams:
    """Fresh parameters for one tokenization; not configured unless the merchant's
    processor is Spreedly (and, for signed ones, its certificate key can be read)."""
    settings = payments.processor
    if not isinstance(settings, SpreedlyProcessorConfig):
        raise PaymentsNotConfigured("the merchant does not tokenize cards with Spreedly")
    if settings.certificate_key is None:
        return iframe_params(settings.environment_key, now)
    try:
        key = read_secret(settings.certificate_key)
    except SecretUnavailable as exc:
        raise PaymentsNotConfigured(str(exc)) from None
    return iframe_params(settings.environment_key, now, settings.certificate_token, key)

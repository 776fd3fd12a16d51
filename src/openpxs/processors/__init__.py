"""Card processor adapters behind ``openpxs.domain.payments.Processor``.

``processor_for(config)`` builds the adapter a merchant's program names; the use cases
never import an adapter directly, so a new processor is a new module and one branch here.
"""

from __future__ import annotations

from openpxs.config.payments import (
    BuiltinProcessorConfig,
    PaymentsConfig,
    SpreedlyProcessorConfig,
    StripeProcessorConfig,
)
from openpxs.domain.payments import PaymentsNotConfigured, Processor
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.processors.secrets import SecretUnavailable, read_secret
from openpxs.processors.spreedly_gateway import SpreedlyGateway
from openpxs.processors.stripe_gateway import StripeGateway

__all__ = ["processor_for"]


def processor_for(merchant_id: int, config: PaymentsConfig) -> Processor:
    """The merchant's processor; PaymentsNotConfigured when it has none or its secrets
    cannot be read (the reason is logged by the caller, never the secret)."""
    settings = config.processor
    if settings is None:
        raise PaymentsNotConfigured(f"merchant {merchant_id} has no card processor")
    try:
        return _build(merchant_id, settings)
    except SecretUnavailable as exc:
        raise PaymentsNotConfigured(str(exc)) from None


def _build(
    merchant_id: int,
    settings: BuiltinProcessorConfig | StripeProcessorConfig | SpreedlyProcessorConfig,
) -> Processor:
    if isinstance(settings, StripeProcessorConfig):
        return StripeGateway(
            read_secret(settings.api_key), settings.api_base, settings.timeout_seconds
        )
    if isinstance(settings, SpreedlyProcessorConfig):
        return SpreedlyGateway(
            settings.environment_key,
            read_secret(settings.access_secret),
            settings.gateway_token,
            settings.api_base,
            settings.timeout_seconds,
        )
    if settings.api_key is not None:
        read_secret(settings.api_key)
    return BuiltinTestProcessor.for_merchant(merchant_id)

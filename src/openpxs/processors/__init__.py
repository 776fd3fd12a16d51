"""Card processor adapters behind ``openpxs.domain.payments.Processor``.

``processor_for(config)`` builds the adapter a merchant's program names; the use cases
never import an adapter directly, so a new processor is a new module and one line here.
"""

from __future__ import annotations

from openpxs.config.payments import PaymentsConfig
from openpxs.domain.payments import PaymentsNotConfigured, Processor
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.processors.secrets import SecretUnavailable, read_secret

__all__ = ["processor_for"]


def processor_for(merchant_id: int, config: PaymentsConfig) -> Processor:
    """The merchant's processor; PaymentsNotConfigured when it has none or its secrets
    cannot be read (the reason is logged by the caller, never the secret)."""
    settings = config.processor
    if settings is None:
        raise PaymentsNotConfigured(f"merchant {merchant_id} has no card processor")
    try:
        if settings.api_key is not None:
            read_secret(settings.api_key)
    except SecretUnavailable as exc:
        raise PaymentsNotConfigured(str(exc)) from None
    return BuiltinTestProcessor.for_merchant(merchant_id)

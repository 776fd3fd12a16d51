"""Payment Service (payment.yaml)."""

from openpxs.api.payment import (
    apple_pay,
    automatic,
    handlers,
    intents,
    methods,
    monitoring,
    tokenizing,
)
from openpxs.api.payment.errors import PAYMENT

__all__ = [
    "PAYMENT",
    "apple_pay",
    "automatic",
    "handlers",
    "intents",
    "methods",
    "monitoring",
    "tokenizing",
]

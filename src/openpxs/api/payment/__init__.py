"""Payment Service (payment.yaml)."""

from openpxs.api.payment import automatic, handlers, methods, tokenizing
from openpxs.api.payment.errors import PAYMENT

__all__ = ["PAYMENT", "automatic", "handlers", "methods", "tokenizing"]

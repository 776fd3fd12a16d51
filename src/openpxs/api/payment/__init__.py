"""Payment Service (payment.yaml)."""

from openpxs.api.payment import handlers, methods
from openpxs.api.payment.errors import PAYMENT

__all__ = ["PAYMENT", "handlers", "methods"]

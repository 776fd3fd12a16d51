"""Sale Service (sale.yaml); importing the package registers its endpoints."""

from openpxs.api.sale import handlers
from openpxs.api.sale.errors import SALE

__all__ = ["SALE", "handlers"]

"""Gift Service (gift.yaml); importing the package registers its endpoints."""

from openpxs.api.gift import handlers
from openpxs.api.gift.errors import GIFT

__all__ = ["GIFT", "handlers"]

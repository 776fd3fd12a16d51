"""Gift Transfer Service (gifttransfer.yaml); importing the package registers its
endpoints."""

from openpxs.api.gifttransfer import handlers
from openpxs.api.gifttransfer.errors import GIFT_TRANSFER

__all__ = ["GIFT_TRANSFER", "handlers"]

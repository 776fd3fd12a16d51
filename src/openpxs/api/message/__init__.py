"""Message Service (message.yaml); importing the package registers its endpoints."""

from openpxs.api.message import handlers
from openpxs.api.message.errors import MESSAGE

__all__ = ["MESSAGE", "handlers"]

"""REST Message Service (messaging.yaml); importing the package registers its endpoints."""

from openpxs.api.messaging import handlers
from openpxs.api.messaging.errors import MESSAGING

__all__ = ["MESSAGING", "handlers"]

"""Push Messaging Services (pushmessaging.yaml); importing the package registers its
endpoints."""

from openpxs.api.pushmessaging import handlers
from openpxs.api.pushmessaging.errors import PUSHMESSAGING

__all__ = ["PUSHMESSAGING", "handlers"]

"""Subscription Service (subscription.yaml); importing the package registers its
endpoints."""

from openpxs.api.subscription import handlers
from openpxs.api.subscription.errors import SUBSCRIPTION

__all__ = ["SUBSCRIPTION", "handlers"]

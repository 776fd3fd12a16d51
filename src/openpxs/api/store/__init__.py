"""Store Service (store.yaml); importing the package registers its endpoints."""

from openpxs.api.store import handlers
from openpxs.api.store.errors import STORE

__all__ = ["STORE", "handlers"]

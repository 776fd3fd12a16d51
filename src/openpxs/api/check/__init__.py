"""Check Service (check.yaml); importing the package registers its endpoints."""

from openpxs.api.check import configuration, evaluating, handlers
from openpxs.api.check.errors import CHECK

__all__ = ["CHECK", "configuration", "evaluating", "handlers"]

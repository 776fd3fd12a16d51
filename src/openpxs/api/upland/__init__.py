"""Upland Service (upland.yaml); importing the package registers its endpoint."""

from openpxs.api.upland import handlers
from openpxs.api.upland.errors import UPLAND

__all__ = ["UPLAND", "handlers"]

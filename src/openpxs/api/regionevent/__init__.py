"""Region Event Service (regionevent.yaml); importing the package registers its endpoints."""

from openpxs.api.regionevent import handlers
from openpxs.api.regionevent.errors import REGIONEVENT

__all__ = ["REGIONEVENT", "handlers"]

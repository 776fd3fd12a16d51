"""Guest Management Service (guestmanagement.yaml)."""

from openpxs.api.guestmanagement import handlers
from openpxs.api.guestmanagement.errors import GUEST_MANAGEMENT

__all__ = ["GUEST_MANAGEMENT", "handlers"]

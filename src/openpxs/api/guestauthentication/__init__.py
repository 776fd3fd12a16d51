"""Guest Authentication Service (guestauthentication.yaml)."""

from openpxs.api.guestauthentication import handlers
from openpxs.api.guestauthentication.errors import GUEST_AUTHENTICATION

__all__ = ["GUEST_AUTHENTICATION", "handlers"]

"""OAuth Service (oauth.yaml)."""

from openpxs.api.oauth import handlers
from openpxs.api.oauth.errors import OAUTH

__all__ = ["OAUTH", "handlers"]

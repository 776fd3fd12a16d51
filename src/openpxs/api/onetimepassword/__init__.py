"""One Time Password Service (onetimepassword.yaml)."""

from openpxs.api.onetimepassword import handlers
from openpxs.api.onetimepassword.errors import ONE_TIME_PASSWORD

__all__ = ["ONE_TIME_PASSWORD", "handlers"]

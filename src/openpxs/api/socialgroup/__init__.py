"""Social Group Service (socialgroup.yaml); importing the package registers its endpoints."""

from openpxs.api.socialgroup import handlers
from openpxs.api.socialgroup.errors import SOCIALGROUP

__all__ = ["SOCIALGROUP", "handlers"]

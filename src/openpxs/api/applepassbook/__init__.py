"""Apple Passbook Service (applepassbook.yaml); importing the package registers its endpoints."""

from openpxs.api.applepassbook import handlers
from openpxs.api.applepassbook.errors import APPLEPASSBOOK

__all__ = ["APPLEPASSBOOK", "handlers"]

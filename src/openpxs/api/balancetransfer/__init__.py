"""Balance Transfer Service (balancetransfer.yaml); importing the package registers its
endpoint."""

from openpxs.api.balancetransfer import handlers
from openpxs.api.balancetransfer.errors import BALANCE_TRANSFER

__all__ = ["BALANCE_TRANSFER", "handlers"]

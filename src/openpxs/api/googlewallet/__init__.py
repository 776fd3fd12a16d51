"""Google Wallet Service (googlewallet.yaml); importing the package registers its endpoints."""

from openpxs.api.googlewallet import handlers
from openpxs.api.googlewallet.errors import GOOGLEWALLET

__all__ = ["GOOGLEWALLET", "handlers"]

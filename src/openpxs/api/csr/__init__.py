"""CSR Service (csr.yaml); importing the package registers its endpoints."""

from openpxs.api.csr import handlers
from openpxs.api.csr.errors import CSR

__all__ = ["CSR", "handlers"]

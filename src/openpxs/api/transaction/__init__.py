"""Transaction Service (transaction.yaml): the point-of-sale card operations."""

from openpxs.api.transaction import corrections, handlers, reads
from openpxs.api.transaction.errors import TRANSACTION

__all__ = ["TRANSACTION", "corrections", "handlers", "reads"]

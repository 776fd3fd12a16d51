"""Transaction Service (transaction.yaml): the point-of-sale card operations.

Handlers translate wire objects into service calls and results into replies; the
wire layer has already checked credentials, style, merchant and shape.
"""

from openpxs.api.transaction import cards, corrections, lookups
from openpxs.api.transaction.service import TRANSACTION

__all__ = ["TRANSACTION", "cards", "corrections", "lookups"]

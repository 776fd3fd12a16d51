"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import transaction

__all__ = ["transaction"]

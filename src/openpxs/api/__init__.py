"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import styles, transaction

__all__ = ["styles", "transaction"]

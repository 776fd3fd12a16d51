"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    enrollment,
    guest,
    guestauthentication,
    guestmanagement,
    oauth,
    onetimepassword,
    styles,
    transaction,
)

__all__ = [
    "enrollment",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "styles",
    "transaction",
]

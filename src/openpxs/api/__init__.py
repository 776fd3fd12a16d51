"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    check,
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
    "check",
    "enrollment",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "styles",
    "transaction",
]

"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    campaignfeedback,
    check,
    coupon,
    enrollment,
    guest,
    guestauthentication,
    guestmanagement,
    oauth,
    onetimepassword,
    payment,
    store,
    transaction,
)

__all__ = [
    "campaignfeedback",
    "check",
    "coupon",
    "enrollment",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "payment",
    "store",
    "transaction",
]

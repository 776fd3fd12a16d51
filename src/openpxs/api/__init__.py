"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    balancetransfer,
    campaignfeedback,
    check,
    coupon,
    enrollment,
    gifttransfer,
    guest,
    guestauthentication,
    guestmanagement,
    oauth,
    onetimepassword,
    payment,
    subscription,
    transaction,
)

__all__ = [
    "balancetransfer",
    "campaignfeedback",
    "check",
    "coupon",
    "enrollment",
    "gifttransfer",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "payment",
    "subscription",
    "transaction",
]

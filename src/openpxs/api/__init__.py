"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    campaignfeedback,
    challenge,
    check,
    coupon,
    enrollment,
    guest,
    guestauthentication,
    guestmanagement,
    oauth,
    onetimepassword,
    payment,
    transaction,
)

__all__ = [
    "campaignfeedback",
    "challenge",
    "check",
    "coupon",
    "enrollment",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "payment",
    "transaction",
]

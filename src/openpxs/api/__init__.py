"""One module (or package) per PXS service; importing this registers every endpoint."""

from openpxs.api import (
    campaignfeedback,
    check,
    checkin,
    coupon,
    enrollment,
    geolocation,
    guest,
    guestauthentication,
    guestmanagement,
    oauth,
    onetimepassword,
    payment,
    regionevent,
    store,
    tour,
    transaction,
)

__all__ = [
    "campaignfeedback",
    "check",
    "checkin",
    "coupon",
    "enrollment",
    "geolocation",
    "guest",
    "guestauthentication",
    "guestmanagement",
    "oauth",
    "onetimepassword",
    "payment",
    "regionevent",
    "store",
    "tour",
    "transaction",
]

"""Enrollment Service (enrollment.yaml); importing the package registers its endpoints."""

from openpxs.api.enrollment import (
    account_links,
    addresses,
    combine,
    edits,
    handlers,
    physical_cards,
    related_guests,
    sms,
    users,
)
from openpxs.api.enrollment.errors import ENROLLMENT

__all__ = [
    "ENROLLMENT",
    "account_links",
    "addresses",
    "combine",
    "edits",
    "handlers",
    "physical_cards",
    "related_guests",
    "sms",
    "users",
]

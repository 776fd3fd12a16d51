"""Checkin Service (checkin.yaml); importing the package registers its endpoints."""

from openpxs.api.checkin import handlers
from openpxs.api.checkin.errors import CHECKIN

__all__ = ["CHECKIN", "handlers"]

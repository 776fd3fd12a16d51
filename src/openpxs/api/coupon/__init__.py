"""Coupon Service (coupon.yaml); importing the package registers its endpoints."""

from openpxs.api.coupon import handlers
from openpxs.api.coupon.errors import COUPON

__all__ = ["COUPON", "handlers"]

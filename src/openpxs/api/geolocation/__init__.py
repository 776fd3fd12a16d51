"""Geolocation Service (geolocation.yaml); importing the package registers its endpoints."""

from openpxs.api.geolocation import handlers
from openpxs.api.geolocation.errors import GEOLOCATION

__all__ = ["GEOLOCATION", "handlers"]

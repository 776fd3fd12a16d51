"""Tour Service (tour.yaml); importing the package registers its endpoints."""

from openpxs.api.tour import handlers
from openpxs.api.tour.errors import TOUR

__all__ = ["TOUR", "handlers"]

"""Guest Service (guest.yaml); importing the package registers its endpoints."""

from openpxs.api.guest import reads

__all__ = ["reads"]

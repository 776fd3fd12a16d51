"""Challenge Service (challenge.yaml); importing the package registers its endpoints."""

from openpxs.api.challenge import handlers
from openpxs.api.challenge.errors import CHALLENGE

__all__ = ["CHALLENGE", "handlers"]

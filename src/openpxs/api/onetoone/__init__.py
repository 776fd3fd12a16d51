"""One To One Service (onetoone.yaml); importing the package registers its endpoints."""

from openpxs.api.onetoone import handlers
from openpxs.api.onetoone.errors import ONE_TO_ONE

__all__ = ["ONE_TO_ONE", "handlers"]

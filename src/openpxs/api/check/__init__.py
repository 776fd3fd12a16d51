"""Check Service (check.yaml); importing the package registers its endpoints."""

from openpxs.api.check import commit, evaluate, stored

__all__ = ["commit", "evaluate", "stored"]

"""Check Service (check.yaml); importing the package registers its endpoints."""

from openpxs.api.check import commit, config_reads, evaluate, stored

__all__ = ["commit", "config_reads", "evaluate", "stored"]

"""Enrollment Service (enrollment.yaml); importing the package registers its endpoints."""

from openpxs.api.enrollment import core, create, related, users

__all__ = ["core", "create", "related", "users"]

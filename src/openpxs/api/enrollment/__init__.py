"""Enrollment Service (enrollment.yaml); importing the package registers its endpoints."""

from openpxs.api.enrollment import core

__all__ = ["core"]

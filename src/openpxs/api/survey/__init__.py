"""Survey Service (survey.yaml); importing the package registers its endpoints."""

from openpxs.api.survey import handlers
from openpxs.api.survey.errors import SURVEY

__all__ = ["SURVEY", "handlers"]

"""External Configuration Service (externalconfiguration.yaml); importing the package
registers its endpoint."""

from openpxs.api.externalconfiguration import handlers
from openpxs.api.externalconfiguration.errors import EXTERNAL_CONFIGURATION

__all__ = ["EXTERNAL_CONFIGURATION", "handlers"]

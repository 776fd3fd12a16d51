"""Campaign Feedback Service (campaignfeedback.yaml)."""

from openpxs.api.campaignfeedback import handlers
from openpxs.api.campaignfeedback.errors import CAMPAIGN_FEEDBACK

__all__ = ["CAMPAIGN_FEEDBACK", "handlers"]

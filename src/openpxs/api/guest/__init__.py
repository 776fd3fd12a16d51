"""Guest Service (guest.yaml); importing the package registers its endpoints."""

from openpxs.api.guest import cards, handlers, history, preferences, referrals, rewards
from openpxs.api.guest.errors import GUEST

__all__ = ["GUEST", "cards", "handlers", "history", "preferences", "referrals", "rewards"]

"""Guest Service (guest.yaml); importing the package registers its endpoints."""

from openpxs.api.guest import cards, engagement, reads, referrals

__all__ = ["cards", "engagement", "reads", "referrals"]

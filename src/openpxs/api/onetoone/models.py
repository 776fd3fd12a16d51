"""Request and reply objects of the One To One Service (onetoone.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import FlexStr, ReplyModel


class CardRequest(GuestRequest):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)


class UserProgressReply(ReplyModel):
    result: str = "success"
    visitsToNextReward: int
    threshold: int


class CadenceRung(ReplyModel):
    """A rung of the ladder: the reward granted at a visit count."""

    visits: int
    rewardDescription: str | None = None


class CadenceReply(ReplyModel):
    result: str = "success"
    rungs: list[CadenceRung]
    resetVisits: int

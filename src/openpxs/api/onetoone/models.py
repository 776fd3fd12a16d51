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

    visits: int = Field(description="Visits from the cadence's start at which it is granted.")
    rewardDescription: str | None = Field(default=None, description="What the guest gets.")


class CadenceReply(ReplyModel):
    result: str = "success"
    rungs: list[CadenceRung] = Field(description="The rungs, by increasing visit count.")
    resetVisits: int = Field(description="The visit count at which the cadence starts over.")

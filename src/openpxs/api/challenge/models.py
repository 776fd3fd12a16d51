"""Request and reply objects of the Challenge Service (challenge.yaml).

Members with a refusal of their own (a card, a challenge, an occurrence, a charity) are
optional here, so that a missing one answers that refusal rather than a generic
invalid request.
"""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import DecimalOut, FlexInt, FlexLong, FlexStr, ReplyModel, WireModel

Id = Field(default=None, max_length=64)


class _ChallengeRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class GuestRequest(_ChallengeRequest):
    printedCardNumber: FlexStr | None = Id


class GroupRequest(_ChallengeRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    groupCode: FlexLong | None = None


class _GroupChoice(GuestRequest):
    username: FlexStr | None = Field(
        default=None,
        max_length=254,
        description="With groupCode: the group's owner or an admin, opting the group in or out "
        "of a group challenge (instead of printedCardNumber).",
    )
    groupCode: FlexLong | None = Field(
        default=None, description="With username: the social group opting in or out."
    )


class OptInRequest(_GroupChoice):
    challengeCode: FlexStr | None = Id
    charitableOrganizationCode: FlexStr | None = Id


class OptOutRequest(_GroupChoice):
    challengeCode: FlexStr | None = Id


class OccurrenceRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    groupCode: FlexLong | None = Field(
        default=None, description="With username: the social group whose progress to include."
    )
    occurrenceCode: FlexStr | None = Field(default=None, max_length=100)


class CharitiesRequest(_ChallengeRequest):
    challengeCode: FlexStr | None = Id


class Challenge(ReplyModel):
    """One occurrence of a challenge, with the guest's standing in it when known."""

    challengeCode: str = Field(description="The challenge's code, as optIn and optOut take it.")
    occurrenceCode: str | None = Field(
        default=None,
        description="This run of the challenge: its code, a dot and the local start date "
        "(VISIT3.20261130), as occurrenceDetail takes it.",
    )
    name: str = Field(description="The challenge's name.")
    description: str | None = None
    type: str | None = Field(
        default=None, description="GUEST (each account on its own) or GROUP (a social group)."
    )
    startDate: str
    endDate: str
    optInStartDate: str | None = None
    status: str | None = None
    goal: DecimalOut | None = Field(
        default=None, description="The count or amount that completes the occurrence."
    )
    progress: DecimalOut | None = Field(
        default=None,
        description="The guest's (for a GROUP challenge, the group's combined) progress in this "
        "occurrence, in the goal's unit; absent when no guest or group is named.",
    )
    rewardDescription: str | None = Field(
        default=None, description="What completing the occurrence pays."
    )
    badgeImageUrl: str | None = None
    imageUrl: str | None = Field(default=None, description="The challenge's picture.")
    goalType: str | None = Field(
        default=None,
        description="What counts: VISITS, SPEND, STORES (distinct stores), ITEMS or POINTS.",
    )
    charitableOrganizationCode: str | None = Field(
        default=None, description="The charity the guest picked for a donation reward."
    )


class ChallengeListReply(ReplyModel):
    result: str = "success"
    challenges: list[Challenge]


class ChallengeReply(ReplyModel):
    result: str = "success"
    challenge: Challenge | None = Field(
        default=None, description="The challenge's current occurrence, as the guest now stands."
    )


class ChallengeParticipant(ReplyModel):
    """A group member and what the member's activity added to the group's progress."""

    username: str | None = Field(default=None, description="The member's username.")
    displayName: str | None = Field(default=None, description="The member's name, as shown.")
    contribution: DecimalOut | None = Field(
        default=None, description="What the member's activity added to the group's progress."
    )


class ChallengeOccurrence(ReplyModel):
    """One run of a challenge; participants are listed for group challenges only."""

    challenge: Challenge = Field(description="The occurrence's rules, dates and progress.")
    participants: list[ChallengeParticipant] | None = Field(
        default=None, description="Group challenges: each member's contribution."
    )


class ChallengeOccurrenceReply(ReplyModel):
    result: str = "success"
    occurrence: ChallengeOccurrence = Field(description="The occurrence asked for.")


class CharitableOrganization(ReplyModel):
    """A charity a challenge's donation reward can go to."""

    code: str = Field(description="The code optIn takes as charitableOrganizationCode.")
    name: str = Field(description="The charity's name.")
    description: str | None = Field(default=None, description="A longer description.")
    imageUrl: str | None = Field(default=None, description="The charity's logo.")


class CharitableOrganizationListReply(ReplyModel):
    result: str = "success"
    charitableOrganizations: list[CharitableOrganization] = Field(
        description="The challenge's charities; empty when it does not donate."
    )

"""Challenge Service reply objects from the use cases' views."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpxs.api.challenge import models as m
from openpxs.config.challenges import Charity
from openpxs.domain.program import Program
from openpxs.services.challenges import ChallengeView


def _local(moment: datetime, program: Program) -> str:
    """ISO 8601 with the merchant's offset, as guests read the challenge's dates."""
    return moment.astimezone(ZoneInfo(program.timezone)).isoformat(timespec="seconds")


def _number(value: Decimal) -> Decimal:
    """A count or amount without trailing zeros or exponent: 3, 12.5."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def challenge(program: Program, view: ChallengeView) -> m.Challenge:
    c, occurrence = view.challenge, view.occurrence
    reward = c.reward
    opens = occurrence.opt_in_opens if c.opt_in else None
    return m.Challenge(
        challengeCode=c.code,
        occurrenceCode=occurrence.code,
        name=c.name,
        description=c.description,
        type="GROUP" if c.kind == "group" else "GUEST",
        startDate=_local(occurrence.start, program),
        endDate=_local(occurrence.end, program),
        optInStartDate=_local(opens, program) if opens is not None else None,
        status=view.status.value if view.status is not None else None,
        goal=_number(c.goal.target),
        progress=_number(view.progress) if view.progress is not None else None,
        rewardDescription=reward.description,
        badgeImageUrl=reward.badge.image_url if reward.badge else None,
        imageUrl=c.image_url,
        goalType=c.goal.measure.upper(),
        charitableOrganizationCode=view.charity_code,
    )


def challenge_list(program: Program, views: list[ChallengeView]) -> m.ChallengeListReply:
    return m.ChallengeListReply(challenges=[challenge(program, v) for v in views])


def charity(found: Charity) -> m.CharitableOrganization:
    return m.CharitableOrganization(
        code=found.code, name=found.name, description=found.description, imageUrl=found.image_url
    )


def occurrence(program: Program, view: ChallengeView) -> m.ChallengeOccurrence:
    participants = (
        [
            m.ChallengeParticipant(
                username=p.username,
                displayName=p.display_name,
                contribution=_number(p.contribution),
            )
            for p in view.participants
        ]
        if view.participants is not None
        else None
    )
    return m.ChallengeOccurrence(challenge=challenge(program, view), participants=participants)

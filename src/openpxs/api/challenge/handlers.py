"""Challenge Service: a guest's active, eligible and finished challenges, opting in and
out, one occurrence in detail, and the charities a challenge donates to.

Progress is never changed here: posted checks move it (check/postAndAccruePoints and the
other accruing postings). Group variants answer for a social group the user belongs to,
with the group's combined progress in group challenges (docs/api/challenge.md).
"""

from __future__ import annotations

from openpxs.api.challenge import models as m
from openpxs.api.challenge.errors import CHALLENGE, GROUP, GUEST, STYLES
from openpxs.api.challenge.replies import challenge, challenge_list, charity, occurrence
from openpxs.domain.errors import Reason as R
from openpxs.services import challenges
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    CHALLENGE,
    "activeChallenges",
    method="GET",
    request=m.GuestRequest,
    reply=m.ChallengeListReply,
    styles=STYLES,
    summary="Challenges a guest is taking part in",
    errors=GUEST,
    scope="account_read",
)
async def active_challenges(ctx: CallContext, req: m.GuestRequest) -> m.ChallengeListReply:
    """The current occurrence of every challenge the account takes part in (opted in,
    or automatic and not opted out), and challenges it joined that start later, each
    with its progress and status."""
    return challenge_list(ctx.program, await challenges.active(ctx, req.printedCardNumber))


@endpoint(
    CHALLENGE,
    "eligibleChallenges",
    method="GET",
    request=m.GuestRequest,
    reply=m.ChallengeListReply,
    styles=STYLES,
    summary="Challenges a guest may opt in to",
    errors=GUEST,
    scope="account_read",
)
async def eligible_challenges(ctx: CallContext, req: m.GuestRequest) -> m.ChallengeListReply:
    """Challenges not yet ended whose audience includes the account, that it does not
    take part in, and whose opt-in window is open."""
    return challenge_list(ctx.program, await challenges.eligible(ctx, req.printedCardNumber))


@endpoint(
    CHALLENGE,
    "historicalChallenges",
    method="GET",
    request=m.GuestRequest,
    reply=m.ChallengeListReply,
    styles=STYLES,
    summary="Ended challenge occurrences a guest took part in",
    errors=GUEST,
    scope="account_read",
)
async def historical_challenges(ctx: CallContext, req: m.GuestRequest) -> m.ChallengeListReply:
    """Newest first, COMPLETED or FAILED, with the final progress."""
    return challenge_list(ctx.program, await challenges.historical(ctx, req.printedCardNumber))


@endpoint(
    CHALLENGE,
    "optIn",
    request=m.OptInRequest,
    reply=m.ChallengeReply,
    styles=STYLES,
    summary="Opt a guest in to a challenge",
    errors=(
        *GUEST,
        *GROUP,
        R.NOT_AUTHORIZED,
        R.CHALLENGE_NOT_FOUND,
        R.NOT_ELIGIBLE,
        R.ALREADY_OPTED_IN,
        R.CHALLENGE_ENDED,
        R.INVALID_CHARITABLE_ORGANIZATION,
    ),
    scope="account_write",
)
async def opt_in(ctx: CallContext, req: m.OptInRequest) -> m.ChallengeReply:
    """Checks posted from now on count towards the current occurrence (or the next, when
    it has not started). A challenge that donates needs charitableOrganizationCode.
    With username and groupCode instead of a card, the group's owner or an admin opts
    the group in to a group challenge."""
    if req.groupCode is not None:
        view = await challenges.group_opt_in(ctx, req.username, req.groupCode, req.challengeCode)
    else:
        view = await challenges.opt_in(
            ctx,
            req.printedCardNumber,
            req.challengeCode,
            req.charitableOrganizationCode,
            username=req.username,
        )
    return m.ChallengeReply(challenge=challenge(ctx.program, view))


@endpoint(
    CHALLENGE,
    "optOut",
    request=m.OptOutRequest,
    reply=m.ChallengeReply,
    styles=STYLES,
    summary="Opt a guest out of a challenge",
    errors=(*GUEST, *GROUP, R.NOT_AUTHORIZED, R.CHALLENGE_NOT_FOUND, R.NOT_OPTED_IN),
    scope="account_write",
)
async def opt_out(ctx: CallContext, req: m.OptOutRequest) -> m.ChallengeReply:
    """No further progress is counted; completions and rewards already paid stay. With
    username and groupCode, the group's owner or an admin takes the group out."""
    if req.groupCode is not None:
        view = await challenges.group_opt_out(ctx, req.username, req.groupCode, req.challengeCode)
    else:
        view = await challenges.opt_out(
            ctx, req.printedCardNumber, req.challengeCode, username=req.username
        )
    return m.ChallengeReply(challenge=challenge(ctx.program, view))


@endpoint(
    CHALLENGE,
    "occurrenceDetail",
    method="GET",
    request=m.OccurrenceRequest,
    reply=m.ChallengeOccurrenceReply,
    styles=STYLES,
    summary="One occurrence of a challenge, with a guest's progress",
    errors=(R.OCCURRENCE_NOT_FOUND, *GUEST, *GROUP),
    scope="account_read",
)
async def occurrence_detail(
    ctx: CallContext, req: m.OccurrenceRequest
) -> m.ChallengeOccurrenceReply:
    """occurrenceCode is the challenge code, a dot and the occurrence's local start date
    (VISIT3.20261130). With printedCardNumber the guest's status and progress are
    included; with username and groupCode, the group's."""
    view = await challenges.occurrence_detail(
        ctx,
        req.occurrenceCode,
        req.printedCardNumber,
        username=req.username,
        group_code=req.groupCode,
    )
    return m.ChallengeOccurrenceReply(occurrence=occurrence(ctx.program, view))


@endpoint(
    CHALLENGE,
    "charitableOrganizations",
    method="GET",
    request=m.CharitiesRequest,
    reply=m.CharitableOrganizationListReply,
    styles=STYLES,
    summary="Charities a challenge can donate to",
    errors=(R.CHALLENGE_NOT_FOUND,),
)
async def charitable_organizations(
    ctx: CallContext, req: m.CharitiesRequest
) -> m.CharitableOrganizationListReply:
    """The guest picks one when opting in; empty for a challenge that does not donate."""
    found = challenges.charities(ctx, req.challengeCode)
    return m.CharitableOrganizationListReply(charitableOrganizations=[charity(c) for c in found])


def _group_endpoint(operation: str, which: str, summary: str) -> None:
    @endpoint(
        CHALLENGE,
        operation,
        method="GET",
        request=m.GroupRequest,
        reply=m.ChallengeListReply,
        styles=STYLES,
        summary=summary,
        errors=GROUP,
        scope="account_read",
    )
    async def group_list(ctx: CallContext, req: m.GroupRequest) -> m.ChallengeListReply:
        """username must name a guest (the signed-in one, for oauth) and groupCode a
        social group the guest belongs to."""
        views = await challenges.group_challenges(ctx, req.username, req.groupCode, which)
        return challenge_list(ctx.program, views)


_group_endpoint("activeChallengesForGroup", "active", "Challenges a social group is taking part in")
_group_endpoint("eligibleChallengesForGroup", "eligible", "Challenges a social group may join")
_group_endpoint(
    "historicalChallengesForGroup", "historical", "Ended challenges a social group took part in"
)

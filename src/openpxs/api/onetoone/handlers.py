"""One To One Service (onetoone.yaml): a guest's place on the visit cadence and the
cadence itself. The rules are in services.one_to_one and domain.cadence."""

from __future__ import annotations

from openpxs.api.onetoone import models as m
from openpxs.api.onetoone.errors import ONE_TO_ONE, STYLES
from openpxs.domain.errors import Reason as R
from openpxs.services import one_to_one
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

ERRORS = (R.CARD_NOT_FOUND, R.NO_CADENCE)


@endpoint(
    ONE_TO_ONE,
    "userProgress",
    method="GET",
    request=m.CardRequest,
    reply=m.UserProgressReply,
    styles=STYLES,
    summary="Visits to the guest's next One To One reward",
    errors=ERRORS,
    scope="account_read",
)
async def user_progress(ctx: CallContext, req: m.CardRequest) -> m.UserProgressReply:
    """Any card of the account works. visitsToNextReward counts down with each visit;
    threshold is the visits between the previous reward (or the cycle's start) and the
    next, so it changes only when a rung is reached."""
    found = await one_to_one.progress(ctx, req.printedCardNumber)
    return m.UserProgressReply(visitsToNextReward=found.visits_to_next, threshold=found.threshold)


@endpoint(
    ONE_TO_ONE,
    "oneToOneUserInformation",
    method="GET",
    request=m.CardRequest,
    reply=m.CadenceReply,
    styles=STYLES,
    summary="The One To One cadence the guest's account follows",
    errors=ERRORS,
    scope="account_read",
)
async def user_information(ctx: CallContext, req: m.CardRequest) -> m.CadenceReply:
    """Every rung (visit count and the reward granted there) and resetVisits, the visit
    count at which the cadence starts over."""
    cadence, _ = await one_to_one.cadence_of(ctx, req.printedCardNumber)
    return m.CadenceReply(
        rungs=[
            m.CadenceRung(visits=r.visits, rewardDescription=r.reward_description)
            for r in cadence.rungs
        ],
        resetVisits=cadence.cycle,
    )

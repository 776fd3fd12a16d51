"""What the hosted guest website's engagement and card pages run: the signed-in guest's
challenges (their own and their groups'), the surveys they may take, and folding a card
they hold into their account. Each is the Challenge, Survey or Guest Service's use case
for the guest's home account; nothing here judges a rule of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpxs.config.surveys import SurveyConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.program import WalletDef
from openpxs.domain.surveys import Answer
from openpxs.services import challenges, guest_cards, surveys
from openpxs.services.balances import account_view
from openpxs.services.challenges import ChallengeView
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.services.guest_cards import home_account


@dataclass(frozen=True)
class GroupBoard:
    """A social group of the guest and the group challenges it takes part in."""

    code: int
    name: str
    active: list[ChallengeView]


@dataclass(frozen=True)
class ChallengeBoard:
    # False: the guest has no active account, so no challenge can be shown.
    has_account: bool
    active: list[ChallengeView] = field(default_factory=list)
    eligible: list[ChallengeView] = field(default_factory=list)
    finished: list[ChallengeView] = field(default_factory=list)
    groups: list[GroupBoard] = field(default_factory=list)


async def _home_card(call: Call) -> str | None:
    """The primary card of the signed-in guest's home account, the card the Challenge
    Service names the guest by."""
    user = await user_for(call, None)
    account = await home_account(call.uow, call.merchant_id, user)
    if account is None:
        return None
    return await call.uow.users.primary_card(call.merchant_id, account.id)


async def challenge_board(call: Call) -> ChallengeBoard:
    """The guest's challenges as activeChallenges, eligibleChallenges and
    historicalChallenges answer them, and each of their groups' active group
    challenges as activeChallengesForGroup does."""
    number = await _home_card(call)
    if number is None:
        return ChallengeBoard(has_account=False)
    user = await user_for(call, None)
    found = await call.uow.social_groups.groups_of(call.merchant_id, [user.id])
    groups = await call.uow.social_groups.groups(call.merchant_id, found.get(user.id, []))
    boards = [
        GroupBoard(
            group.id,
            group.name,
            await challenges.group_challenges(call, None, group.id, "active"),
        )
        for group in sorted(groups, key=lambda g: g.id)
    ]
    return ChallengeBoard(
        has_account=True,
        active=await challenges.active(call, number),
        eligible=await challenges.eligible(call, number),
        finished=await challenges.historical(call, number),
        groups=[b for b in boards if b.active],
    )


async def join_challenge(call: Call, code: str, charity: str | None) -> ChallengeView:
    """Opt the guest's home account in, as challenge/optIn does."""
    number = await _home_card(call)
    if number is None:
        raise Refused(Reason.ACCOUNT_NOT_FOUND, "the guest has no active account")
    return await challenges.opt_in(call, number, code, charity)


async def guest_surveys(call: Call) -> list[SurveyConfig]:
    """The surveys the guest may take now, as eligibleSurveys lists them."""
    return await surveys.eligible(call, await surveys.taker_by_username(call, None))


@dataclass(frozen=True)
class SurveyToTake:
    survey: SurveyConfig
    reward: str | None
    # False: the survey needs an opt-in the guest has not given yet.
    opted_in: bool


async def survey_to_take(call: Call, code: str) -> SurveyToTake:
    """The survey's questions as surveyDetails gives them; a survey that needs an opt-in
    the guest has not given is offered for opting in (its questions stay unread)."""
    taker = await surveys.taker_by_username(call, None)
    try:
        survey = await surveys.details(call, taker, code)
    except Refused:
        survey = surveys.survey_of(call, code)
        # Refused for want of the opt-in only when the survey is open to the guest.
        open_to_guest = any(s.code == survey.code for s in await surveys.eligible(call, taker))
        if not (survey.opt_in_required and open_to_guest):
            raise
        return SurveyToTake(survey, surveys.reward_description(call, survey), opted_in=False)
    return SurveyToTake(survey, surveys.reward_description(call, survey), opted_in=True)


async def opt_in_survey(call: Call, code: str) -> None:
    await surveys.opt_in(call, await surveys.taker_by_username(call, None), code)


async def submit_survey(call: Call, code: str, answers: Sequence[Answer]) -> surveys.Submitted:
    """Answer the survey as submitResponse does (its reward paid with the response)."""
    taker = await surveys.taker_by_username(call, None)
    return await surveys.submit(call, taker, code, answers, None)


async def survey_reward(call: Call, survey: SurveyConfig) -> str | None:
    """What the survey paid, as submitResponse describes it, for the thanks page of a
    guest who answered it in its current occurrence; refused for anyone else."""
    taker = await surveys.taker_by_username(call, None)
    responded = await call.uow.surveys.responded(call.merchant_id, taker.account_id)
    if (survey.code, surveys.occurrence_of(call, survey)) not in responded:
        raise Refused(Reason.INVALID_SURVEY, "the guest has not answered this survey")
    return surveys.reward_description(call, survey)


@dataclass(frozen=True)
class CombinePreview:
    card_number: str
    into_card: str
    # What moves: the card's balances, wallet by wallet (those with value).
    moving: list[tuple[WalletDef, Decimal]]


async def combine_preview(call: Call, number: str, registration_code: str) -> CombinePreview:
    """What attachAndCombineCards would move from the card the guest holds into their
    account, judged and counted as it would be; nothing changes."""
    card, account, home = await guest_cards.combine_preview(call, number, registration_code)
    view = await account_view(
        call.uow, call.program, card.number, account.id, account.template_code
    )
    into = await call.uow.users.primary_card(call.merchant_id, home.id)
    return CombinePreview(card.number, into or "", [(w, q) for w, q in view.balances if q != 0])


async def combine_card(call: Call, number: str, registration_code: str) -> str:
    """attachAndCombineCards for the signed-in guest; returns the surviving card."""
    return await guest_cards.attach_and_combine(call, None, number, registration_code)

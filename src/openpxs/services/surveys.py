"""Guest surveys (survey.yaml): which surveys an account may take, opting in, the
questions, and responding.

A response is stored once per account and survey occurrence: the unique constraint on
the responses decides between two submissions, not a read before them. The reward is an
ordinary ledger transaction of kind ``surveyReward`` at the reward's store, written in
the same database transaction as the response, so a response is never stored without
its reward nor paid twice; transaction history shows it, ``openpxs audit`` covers it and
transaction/reverse.json can take it back (the response stays answered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from openpxs.config.surveys import SurveyConfig
from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.errors import CardNotActive, Reason, Refused
from openpxs.domain.moves import AppliedMove, Move, apply_moves, check_moves
from openpxs.domain.program import PROGRAM_CODES_ALL
from openpxs.domain.surveys import Answer, Audience, checked_answers, in_audience, is_open
from openpxs.domain.surveys import occurrence_of as occurrence_at
from openpxs.domain.transactions import Kind
from openpxs.services.books import open_settled_book
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.services.guest_cards import home_account


@dataclass(frozen=True)
class Taker:
    """The account a survey call is about, and what its audience rules look at."""

    account_id: int
    template_code: int
    card_number: str  # the card the caller named, or the account's primary card
    user_id: int | None
    card_numbers: frozenset[str]

    @property
    def audience(self) -> Audience:
        return Audience(self.template_code, self.card_numbers, self.user_id is not None)


@dataclass(frozen=True)
class Submitted:
    response_id: int
    reward_description: str | None
    transaction_id: int | None


async def _taker(
    call: Call, account_id: int, template_code: int, user_id: int | None, card: str
) -> Taker:
    cards = await call.uow.cards.of_account(call.merchant_id, account_id)
    return Taker(account_id, template_code, card, user_id, frozenset(c.number for c in cards))


async def taker_by_username(call: Call, username: str | None) -> Taker:
    """The user's home account (the signed-in guest's with oauth)."""
    user = await user_for(call, username)
    account = await home_account(call.uow, call.merchant_id, user)
    number = await call.uow.users.primary_card(call.merchant_id, account.id) if account else None
    if account is None or number is None:
        raise Refused(Reason.ACCOUNT_NOT_FOUND, "the user has no active account")
    return await _taker(call, account.id, account.template_code, user.id, number)


async def taker_by_card(call: Call, number: str | None) -> Taker:
    """The account of an active card the caller may reach."""
    ref = await account_by_card(call, number)
    if ref.card_status != CardStatus.ACTIVE:
        raise CardNotActive(f"the card is {ref.card_status}")
    if ref.status != AccountStatus.ACTIVE:
        raise Refused(Reason.ACCOUNT_NOT_ACTIVE, f"the account is {ref.status}")
    return await _taker(call, ref.account_id, ref.template_code, ref.user_id, ref.card_number)


def survey_of(call: Call, code: str | None) -> SurveyConfig:
    survey = call.program.surveys.get((code or "").strip())
    if survey is None:
        raise Refused(Reason.INVALID_SURVEY, f"no survey has the code {code!r}")
    return survey


def occurrence_of(call: Call, survey: SurveyConfig) -> str:
    return occurrence_at(survey, call.now, call.program.timezone)


def _why_not_eligible(call: Call, taker: Taker, survey: SurveyConfig) -> str | None:
    """Why the account may not take the survey now (window, audience, a reward it could
    not hold), or None."""
    program = call.program
    if not is_open(survey.window, call.now, program.timezone):
        return "the survey is not open now"
    if not in_audience(survey, taker.audience):
        return "the survey is not for this account"
    if survey.reward is not None:
        wallet = program.wallets.get(survey.reward.wallet)
        template = program.templates.get(taker.template_code)
        if wallet is None or template is None or wallet.program not in template.programs:
            return "the account cannot hold the survey's reward"
    return None


def _require_eligible(
    call: Call, taker: Taker, survey: SurveyConfig, opted_in: set[str] | None = None
) -> None:
    why = _why_not_eligible(call, taker, survey)
    needs_opt_in = survey.opt_in_required and opted_in is not None
    if why is None and needs_opt_in and survey.code not in (opted_in or set()):
        why = "opt in to the survey first"
    if why is not None:
        raise Refused(Reason.NOT_ELIGIBLE_FOR_SURVEY, why)


async def eligible(call: Call, taker: Taker) -> list[SurveyConfig]:
    """The surveys the account may take now, in the program file's order: open, for
    this account, and not yet answered in this occurrence. Surveys that need an opt-in
    are listed before it (so the app can offer it)."""
    responded = await call.uow.surveys.responded(call.merchant_id, taker.account_id)
    return [
        survey
        for survey in call.program.surveys.values()
        if _why_not_eligible(call, taker, survey) is None
        and (survey.code, occurrence_of(call, survey)) not in responded
    ]


async def opt_in(call: Call, taker: Taker, code: str | None) -> None:
    """Record that the account agreed to take the survey; once."""
    survey = survey_of(call, code)
    _require_eligible(call, taker, survey)
    if not await call.uow.surveys.opt_in(call.merchant_id, survey.code, taker.account_id, call.now):
        raise Refused(Reason.ALREADY_OPTED_IN)


async def details(call: Call, taker: Taker, code: str | None) -> SurveyConfig:
    """The survey, when the account may take it now (and opted in, if it must)."""
    survey = survey_of(call, code)
    opted = await call.uow.surveys.opted_in(call.merchant_id, taker.account_id)
    _require_eligible(call, taker, survey, opted)
    return survey


def reward_description(call: Call, survey: SurveyConfig) -> str | None:
    reward = survey.reward
    if reward is None:
        return None
    if reward.description:
        return reward.description
    wallet = call.program.wallets[reward.wallet]
    amount = reward.quantity.quantize(Decimal(1).scaleb(-wallet.scale))
    return f"{amount} {wallet.name}"


async def submit(
    call: Call,
    taker: Taker,
    code: str | None,
    answers: Sequence[Answer],
    store_code: str | None,
) -> Submitted:
    """Check the answers, store the response once for this occurrence and pay the
    survey's reward in the same transaction."""
    uow, program = call.uow, call.program
    survey = survey_of(call, code)
    opted = await uow.surveys.opted_in(call.merchant_id, taker.account_id)
    _require_eligible(call, taker, survey, opted)
    kept = checked_answers(survey, answers)
    if store_code:
        program.store(store_code)
    response_id = await uow.surveys.claim_response(
        call.merchant_id,
        survey.code,
        occurrence_of(call, survey),
        account_id=taker.account_id,
        card_number=taker.card_number,
        user_id=taker.user_id,
        store_code=store_code or None,
        answers=kept,
        now=call.now,
    )
    if response_id is None:
        raise Refused(Reason.ALREADY_RESPONDED)
    transaction_id = await _pay_reward(call, taker, survey) if survey.reward else None
    if transaction_id is not None:
        await uow.surveys.paid_by(call.merchant_id, response_id, transaction_id)
    return Submitted(response_id, reward_description(call, survey), transaction_id)


def _reward_move(call: Call, taker: Taker, survey: SurveyConfig) -> AppliedMove:
    reward = survey.reward
    assert reward is not None
    expires_on = None
    if reward.expires_after_days is not None:
        expires_on = call.program.today(call.now) + timedelta(days=reward.expires_after_days)
    (move,) = check_moves(
        call.program,
        taker.template_code,
        PROGRAM_CODES_ALL,
        [Move(reward.wallet, reward.quantity, expires_on)],
        call.now,
    )
    return move


async def _pay_reward(call: Call, taker: Taker, survey: SurveyConfig) -> int:
    """The reward as a ledger transaction on the (locked, still active) account."""
    assert survey.reward is not None
    uow, program = call.uow, call.program
    statuses = await uow.accounts.lock(call.merchant_id, [taker.account_id])
    if statuses.get(taker.account_id) != AccountStatus.ACTIVE:
        raise Refused(Reason.ACCOUNT_NOT_ACTIVE, "the account was closed")
    move = _reward_move(call, taker, survey)
    where = call.online_stamp(survey.reward.store)
    txn = await uow.transactions.record(
        where, Kind.SURVEY_REWARD, account_id=taker.account_id, card_number=taker.card_number
    )
    book = await open_settled_book(uow, program, taker.account_id, where)
    apply_moves(book, program, [move], [], call.now)
    await uow.ledger.write([book], txn, call.now)
    return txn

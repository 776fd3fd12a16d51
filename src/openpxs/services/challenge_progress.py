"""Challenge progress from posted checks, the completions it reaches, and taking both
back when the check is voided or reversed.

There is no second scoring path: the check posting that accrues points calls
``advance`` in the same database transaction, after the check's own ledger
transaction is written, with the check's lines, discounts and accrual. The account is
locked by then, so postings to one account take turns; the completion's primary key
makes an occurrence complete once even so. A wallet reward is its own ledger
transaction (kind ``challengeReward``) at the challenge's store.

Undoing a check (``services.undo``) calls ``take_back``: the check's contributions stop
counting, and a completion whose occurrence no longer reaches its goal is removed; its
reward transaction is returned for the undo to reverse in the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from openpxs.config.challenges import Challenge
from openpxs.domain.challenges import (
    Occurrence,
    contribution,
    in_audience,
    progress_of,
    reached,
    running_at,
)
from openpxs.domain.check_plans import Plan
from openpxs.domain.earning import CheckFacts, Discount, net_amounts
from openpxs.domain.ledger import AccountBook
from openpxs.domain.money import UNITS_PER_ONE, to_units
from openpxs.domain.moves import Move, apply_moves, check_moves
from openpxs.domain.program import PROGRAM_CODES_ALL, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind, TransactionRecord
from openpxs.domain.webhooks import CHALLENGE_COMPLETED
from openpxs.services import webhooks
from openpxs.store.repositories.challenges import AudienceFacts, Entry, OccurrenceRef
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class PostedCheck:
    """What one posting of a check did for one account."""

    account_id: int
    card_number: str
    facts: CheckFacts
    # Every discount that came off the check: the POS's own, rewards, coupons.
    discounts: Sequence[Discount]
    plan: Plan
    transaction_id: int | None


def takes_part(
    challenge: Challenge,
    program: Program,
    facts: AudienceFacts,
    entry: Entry | None,
    card_numbers: Sequence[str],
) -> bool:
    """Whether the account is in the challenge: in its audience, with a card that can
    hold its wallet reward, and opted in (or, automatic, not opted out)."""
    return _chose_to_take_part(challenge, entry) and is_eligible(
        challenge, program, facts, card_numbers
    )


def _chose_to_take_part(challenge: Challenge, entry: Entry | None) -> bool:
    """Opted in, or (automatic) not opted out."""
    if challenge.opt_in:
        return entry is not None and entry.opted_in
    return entry is None or entry.opted_in


def is_eligible(
    challenge: Challenge, program: Program, facts: AudienceFacts, card_numbers: Sequence[str]
) -> bool:
    wallet = challenge.reward.wallet
    if wallet is not None and wallet not in {
        w.code for w in program.wallets_of_template(facts.template_code)
    }:
        return False
    return in_audience(
        challenge.audience,
        tier=facts.tier,
        enrolled_on=program.today(facts.enrolled_at),
        card_numbers=card_numbers,
    )


def as_amount(units: int) -> Decimal:
    return (Decimal(units) / UNITS_PER_ONE).normalize()


def progress_in(challenge: Challenge, rows: Sequence[tuple[str, int]]) -> Decimal:
    return progress_of(challenge.goal, [(store, as_amount(units)) for store, units in rows])


async def card_numbers_if_needed(
    uow: UnitOfWork, merchant_id: int, account_id: int, challenges: Sequence[Challenge]
) -> list[str]:
    """The account's card numbers, read only when an audience lists cards."""
    if not any(c.audience.cards for c in challenges):
        return []
    return [card.number for card in await uow.cards.of_account(merchant_id, account_id)]


async def advance(
    uow: UnitOfWork, program: Program, stamp: CallStamp, posted: PostedCheck, book: AccountBook
) -> None:
    """Add the check to every running occurrence the account takes part in, and complete
    (and pay) those it brings to their goal. ``book`` is the account's book, already
    written for the check; a wallet reward is written from it as its own transaction."""
    if not program.challenges:
        return
    running: list[tuple[Challenge, Occurrence]] = []
    for challenge in program.challenges:
        occurrence = running_at(challenge, program.timezone, stamp.now)
        if occurrence is not None:
            running.append((challenge, occurrence))
    if not running:
        return
    merchant = program.merchant_id
    entries = await uow.challenges.entries(merchant, posted.account_id)
    # Most checks come from guests in no opt-in challenge: settle that from the entries
    # alone, before reading what the audiences look at.
    running = [(c, o) for c, o in running if _chose_to_take_part(c, entries.get(c.code))]
    if not running:
        return
    facts = await uow.challenges.audience_facts(merchant, posted.account_id)
    if facts is None:
        return
    numbers = await card_numbers_if_needed(
        uow, merchant, posted.account_id, [c for c, _ in running]
    )
    net = net_amounts(posted.facts, posted.discounts)
    for challenge, occurrence in running:
        entry = entries.get(challenge.code)
        if not takes_part(challenge, program, facts, entry, numbers):
            continue
        goal = challenge.goal
        points = sum(
            (mv.quantity for mv in posted.plan.added if mv.wallet.code == goal.wallet),
            Decimal(0),
        )
        amount = contribution(goal, posted.facts, net, points)
        if amount <= 0:
            continue
        ref = (challenge.code, occurrence.key)
        await uow.challenges.record_progress(
            merchant,
            ref,
            posted.account_id,
            transaction_id=posted.transaction_id,
            store_code=posted.facts.store_code,
            units=to_units(amount),
            now=stamp.now,
        )
        await _complete_if_reached(uow, program, stamp, challenge, ref, posted, facts, entry, book)


async def _complete_if_reached(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    challenge: Challenge,
    ref: OccurrenceRef,
    posted: PostedCheck,
    facts: AudienceFacts,
    entry: Entry | None,
    book: AccountBook,
) -> None:
    merchant, account_id = program.merchant_id, posted.account_id
    rows = (await uow.challenges.standing_progress(merchant, account_id, [ref])).get(ref, [])
    if not reached(challenge.goal, progress_in(challenge, rows)):
        return
    if challenge.max_completions is not None and (
        await uow.challenges.completion_count(merchant, challenge.code, account_id)
        >= challenge.max_completions
    ):
        return
    reward = challenge.reward
    claimed = await uow.challenges.complete(
        merchant,
        ref,
        account_id,
        charity_code=entry.charity_code if entry is not None and reward.donation else None,
        badge_code=reward.badge.code if reward.badge else None,
        now=stamp.now,
    )
    if not claimed:
        return
    await webhooks.announce(
        uow,
        program,
        CHALLENGE_COMPLETED,
        {
            "challengeCode": challenge.code,
            "occurrence": ref[1],
            "accountId": account_id,
            "printedCardNumber": posted.card_number,
            "storeCode": stamp.store_code,
        },
        stamp.now,
    )
    if reward.wallet is None or reward.quantity is None:
        return
    expires_on = (
        program.today(stamp.now) + timedelta(days=reward.expires_after_days)
        if reward.expires_after_days is not None
        else None
    )
    moves = check_moves(
        program,
        facts.template_code,
        PROGRAM_CODES_ALL,
        [Move(reward.wallet, reward.quantity, expires_on)],
        stamp.now,
    )
    # The reward is the server's doing, at the challenge's store, not the POS call's.
    where = replace(stamp.by_the_server(), store_code=challenge.store)
    txn = await uow.transactions.record(
        where, Kind.CHALLENGE_REWARD, account_id=account_id, card_number=posted.card_number
    )
    apply_moves(book, program, moves, [], stamp.now)
    await uow.ledger.write([book], txn, stamp.now)
    await uow.challenges.set_reward_transaction(merchant, ref, account_id, txn)


async def take_back(
    uow: UnitOfWork, program: Program, stamp: CallStamp, transaction_id: int
) -> list[TransactionRecord]:
    """Stop counting what the check of ``transaction_id`` added; remove completions that
    no longer reach their goal. Returns their reward transactions still standing, which
    the caller reverses in the same database transaction."""
    merchant = program.merchant_id
    touched = await uow.challenges.take_back(merchant, transaction_id, stamp.now)
    to_reverse: list[TransactionRecord] = []
    for account_id in sorted({t.account_id for t in touched}):
        refs = [(t.challenge_code, t.occurrence) for t in touched if t.account_id == account_id]
        completions = await uow.challenges.completions(merchant, account_id)
        standing = await uow.challenges.standing_progress(merchant, account_id, refs)
        for ref in refs:
            completion = completions.get(ref)
            challenge = program.challenge(ref[0])
            if completion is None or challenge is None:
                continue
            if reached(challenge.goal, progress_in(challenge, standing.get(ref, []))):
                continue
            await uow.challenges.remove_completion(merchant, ref, account_id)
            if completion.reward_transaction_id is None:
                continue
            reward = await uow.transactions.get(merchant, completion.reward_transaction_id)
            if reward is not None and reward.undone_by_id is None:
                to_reverse.append(reward)
    return to_reverse

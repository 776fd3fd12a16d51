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

Group challenges go by the social groups the account's guest belongs to when the check
is posted: each contribution is kept against the group as well, the group's progress
is the sum of its standing contributions, and the group's row lock makes its members'
postings take turns over that sum. Completing pays each member (or each contributor)
once, on an account of theirs, in the same transaction; taking the check back undoes
the group's completion and every payout with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from openpxs.config.challenges import Challenge
from openpxs.domain.challenges import (
    AudienceFacts,
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
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.store.repositories.challenges import Contribution, Entry, OccurrenceRef
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
    # What the audiences look at on the account, when its lock read it already.
    audience: AudienceFacts | None = None
    # The account's choices about challenges, when the posting read them already.
    entries: Mapping[str, Entry] | None = None
    # The social groups of the account's guest, when the posting read them already (in
    # no particular order).
    groups: Sequence[int] | None = None


def takes_part(
    challenge: Challenge,
    program: Program,
    facts: AudienceFacts,
    entry: Entry | None,
    card_numbers: Sequence[str],
) -> bool:
    """Whether the account is in the challenge: in its audience, with a card that can
    hold its wallet reward, and opted in (or, automatic, not opted out)."""
    return chose_to_take_part(challenge, entry) and is_eligible(
        challenge, program, facts, card_numbers
    )


def chose_to_take_part(challenge: Challenge, entry: Entry | None) -> bool:
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
    """Add the check to every running occurrence the account (or a social group its
    guest belongs to) takes part in, and complete (and pay) those it brings to their
    goal. ``book`` is the account's book, already written for the check; a wallet
    reward is written from it as its own transaction."""
    if not program.challenges:
        return
    running: list[tuple[Challenge, Occurrence]] = []
    for challenge in program.challenges:
        occurrence = running_at(challenge, program.timezone, stamp.now)
        if occurrence is not None:
            running.append((challenge, occurrence))
    if not running:
        return
    alone = [(c, o) for c, o in running if c.kind == "individual"]
    together = [(c, o) for c, o in running if c.kind == "group"]
    # The account's audience facts, read at most once for both kinds.
    facts = None
    if alone:
        facts = await _advance_account(uow, program, stamp, posted, book, alone)
    if together:
        await _advance_groups(uow, program, stamp, posted, book, together, facts)


def _amount(challenge: Challenge, posted: PostedCheck, net: Mapping[str, Decimal]) -> Decimal:
    goal = challenge.goal
    points = sum(
        (mv.quantity for mv in posted.plan.added if mv.wallet.code == goal.wallet),
        Decimal(0),
    )
    return contribution(goal, posted.facts, net, points)


async def _advance_account(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    posted: PostedCheck,
    book: AccountBook,
    running: list[tuple[Challenge, Occurrence]],
) -> AudienceFacts | None:
    """The check added to the account's own challenges; the audience facts it read, if
    it needed them."""
    merchant = program.merchant_id
    entries = posted.entries
    if entries is None:
        entries = await uow.challenges.entries(merchant, posted.account_id)
    # Most checks come from guests in no opt-in challenge: settle that from the entries
    # alone, before reading what the audiences look at.
    running = [(c, o) for c, o in running if chose_to_take_part(c, entries.get(c.code))]
    if not running:
        return None
    facts = posted.audience or await uow.challenges.audience_facts(merchant, posted.account_id)
    if facts is None:
        return None
    numbers = await card_numbers_if_needed(
        uow, merchant, posted.account_id, [c for c, _ in running]
    )
    net = net_amounts(posted.facts, posted.discounts)
    for challenge, occurrence in running:
        entry = entries.get(challenge.code)
        if not takes_part(challenge, program, facts, entry, numbers):
            continue
        amount = _amount(challenge, posted, net)
        if amount <= 0:
            continue
        ref = (challenge.code, occurrence.key)
        standing = await uow.challenges.add_progress(
            merchant, ref, posted.account_id, _contribution(posted, amount, stamp)
        )
        await _complete_if_reached(
            uow, program, stamp, challenge, ref, posted, facts, entry, book, standing=standing
        )
    return facts


async def _record_for_group(
    uow: UnitOfWork,
    merchant: int,
    ref: OccurrenceRef,
    posted: PostedCheck,
    amount: Decimal,
    stamp: CallStamp,
    group_id: int,
) -> None:
    """The posted check's contribution to an occurrence for its guest's group."""
    await uow.challenges.record_progress(
        merchant, ref, posted.account_id, _contribution(posted, amount, stamp), group_id=group_id
    )


def _contribution(posted: PostedCheck, amount: Decimal, stamp: CallStamp) -> Contribution:
    return Contribution(posted.transaction_id, posted.facts.store_code, to_units(amount), stamp.now)


async def _advance_groups(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    posted: PostedCheck,
    book: AccountBook,
    running: list[tuple[Challenge, Occurrence]],
    facts: AudienceFacts | None,
) -> None:
    """The check counts for every group the account's guest is a member of now, in each
    running group challenge the group takes part in. ``facts``: the account's audience
    facts if already read."""
    merchant = program.merchant_id
    if facts is None:
        facts = posted.audience or await uow.challenges.audience_facts(merchant, posted.account_id)
    if facts is None or facts.user_id is None:
        return
    groups = posted.groups
    if groups is None:
        groups = (await uow.social_groups.groups_of(merchant, [facts.user_id]))[facts.user_id]
    net = net_amounts(posted.facts, posted.discounts)
    for group_id in sorted(groups):
        entries = await uow.challenges.group_entries(merchant, group_id)
        taking = [(c, o) for c, o in running if chose_to_take_part(c, entries.get(c.code))]
        amounts = [(c, o, _amount(c, posted, net)) for c, o in taking]
        amounts = [(c, o, a) for c, o, a in amounts if a > 0]
        if not amounts:
            continue
        # Members post on accounts of their own: the group's row lock makes their
        # postings take turns over the group's sum and its completion.
        if await uow.social_groups.group(merchant, group_id, lock=True) is None:
            continue
        for challenge, occurrence, amount in amounts:
            ref = (challenge.code, occurrence.key)
            await _record_for_group(uow, merchant, ref, posted, amount, stamp, group_id)
            await _complete_group_if_reached(
                uow, program, stamp, challenge, ref, group_id, posted, book
            )


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
    *,
    standing: Sequence[tuple[str, int]],
) -> None:
    """Complete (and pay) the occurrence if the account's ``standing`` contributions to
    it, summed by store with this check's, reach its goal."""
    merchant, account_id = program.merchant_id, posted.account_id
    if not reached(challenge.goal, progress_in(challenge, standing)):
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
    if not await _within_total_cap(uow, program, challenge):
        await uow.challenges.remove_completion(merchant, ref, account_id)
        return
    await _announce_completion(uow, program, stamp, ref, posted)
    if reward.wallet is None or reward.quantity is None:
        return
    txn = await _pay(
        uow, program, stamp, challenge, account_id, facts.template_code, posted.card_number, book
    )
    await uow.challenges.set_reward_transaction(merchant, ref, account_id, txn)


async def _announce_completion(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    ref: OccurrenceRef,
    posted: PostedCheck,
    *,
    group_id: int | None = None,
) -> None:
    """The ``challenge.completed`` event of a completion this check brought about: the
    account and card that posted it, and for a group challenge the group."""
    data: dict[str, object] = {
        "challengeCode": ref[0],
        "occurrence": ref[1],
        "accountId": posted.account_id,
        "printedCardNumber": posted.card_number,
        "storeCode": stamp.store_code,
    }
    if group_id is not None:
        data["groupCode"] = group_id
    await webhooks.announce(uow, program, CHALLENGE_COMPLETED, data, stamp.now)


async def _within_total_cap(uow: UnitOfWork, program: Program, challenge: Challenge) -> bool:
    """Count a completion against the challenge's cap across every account; False when
    the cap is reached."""
    cap = challenge.max_total_completions
    if cap is None:
        return True
    return await uow.challenges.count_completion(program.merchant_id, challenge.code, cap)


async def _pay(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    challenge: Challenge,
    account_id: int,
    template_code: int,
    card_number: str | None,
    book: AccountBook,
) -> int:
    """Credit the reward's wallet on the (locked) account's book as a transaction of its
    own; its id."""
    reward = challenge.reward
    assert reward.wallet is not None and reward.quantity is not None, "a wallet reward"
    expires_on = (
        program.today(stamp.now) + timedelta(days=reward.expires_after_days)
        if reward.expires_after_days is not None
        else None
    )
    moves = check_moves(
        program,
        template_code,
        PROGRAM_CODES_ALL,
        [Move(reward.wallet, reward.quantity, expires_on)],
        stamp.now,
    )
    # The reward is the server's doing, at the challenge's store, not the POS call's.
    where = replace(stamp.by_the_server(), store_code=challenge.store)
    txn = await uow.transactions.record(
        where, Kind.CHALLENGE_REWARD, account_id=account_id, card_number=card_number
    )
    apply_moves(book, program, moves, [], stamp.now)
    await uow.ledger.write([book], txn, stamp.now)
    return txn


async def _complete_group_if_reached(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    challenge: Challenge,
    ref: OccurrenceRef,
    group_id: int,
    posted: PostedCheck,
    book: AccountBook,
) -> None:
    """Complete the group's occurrence once its members' standing activity reaches the
    goal, and pay each member (or each contributor) once."""
    merchant = program.merchant_id
    rows = (await uow.challenges.group_standing(merchant, group_id, [ref])).get(ref, [])
    if not reached(challenge.goal, progress_in(challenge, [(s, u) for s, u, _ in rows])):
        return
    if challenge.max_completions is not None and (
        await uow.challenges.group_completion_count(merchant, challenge.code, group_id)
        >= challenge.max_completions
    ):
        return
    if not await uow.challenges.complete_group(merchant, ref, group_id, stamp.now):
        return
    if not await _within_total_cap(uow, program, challenge):
        await uow.challenges.remove_group_completion(merchant, ref, group_id)
        return
    members = (await uow.social_groups.members(merchant, [group_id]))[group_id]
    payees = sorted({m.user_id for m in members})
    if challenge.group_payout == "contributors":
        contributors = await uow.social_groups.users_of_accounts(
            merchant, sorted({account for _, units, account in rows if units > 0})
        )
        payees = [user for user in payees if user in contributors]
    reward = challenge.reward
    for user_id in payees:
        account_id = await _payee_account(uow, program, challenge, user_id, posted)
        await uow.challenges.add_payout(
            merchant,
            ref,
            group_id,
            user_id,
            account_id,
            reward.badge.code if reward.badge else None,
        )
        if account_id is None or reward.wallet is None:
            continue
        txn = await _pay_member(uow, program, stamp, challenge, account_id, posted, book)
        await uow.challenges.set_payout_transaction(merchant, ref, group_id, user_id, txn)
    await _announce_completion(uow, program, stamp, ref, posted, group_id=group_id)


async def _payee_account(
    uow: UnitOfWork, program: Program, challenge: Challenge, user_id: int, posted: PostedCheck
) -> int | None:
    """The member's account the reward goes to: the posting account when it is the
    member's, else the member's oldest active account whose card can hold the reward's
    wallet (any, for a reward without one); None when the member has none."""
    merchant = program.merchant_id
    accounts = await uow.users.accounts_of(merchant, user_id)
    if posted.account_id in accounts:
        accounts.remove(posted.account_id)
        accounts.insert(0, posted.account_id)
    wallet = challenge.reward.wallet
    for account_id in accounts:
        if wallet is None:
            return account_id
        facts = await uow.challenges.audience_facts(merchant, account_id)
        if facts is not None and wallet in {
            w.code for w in program.wallets_of_template(facts.template_code)
        }:
            return account_id
    return None


async def _pay_member(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    challenge: Challenge,
    account_id: int,
    posted: PostedCheck,
    book: AccountBook,
) -> int:
    merchant = program.merchant_id
    facts = await uow.challenges.audience_facts(merchant, account_id)
    assert facts is not None, "an account of the member's, found just before"
    if account_id == posted.account_id:
        return await _pay(
            uow,
            program,
            stamp,
            challenge,
            account_id,
            facts.template_code,
            posted.card_number,
            book,
        )
    # Another member's account: locked after the posting's own (a concurrent posting
    # holding it and waiting for the group's lock is a deadlock the database breaks,
    # and the call it refuses runs again: store/uow.Deadlocked).
    await lock_active_account(uow, merchant, account_id)
    other = await open_settled_book(uow, program, account_id, stamp)
    number = await uow.users.primary_card(merchant, account_id)
    return await _pay(
        uow, program, stamp, challenge, account_id, facts.template_code, number, other
    )


async def take_back(
    uow: UnitOfWork, program: Program, stamp: CallStamp, transaction_id: int
) -> list[TransactionRecord]:
    """Stop counting what the check of ``transaction_id`` added; remove completions that
    no longer reach their goal. Returns their reward transactions still standing, which
    the caller reverses in the same database transaction."""
    merchant = program.merchant_id
    touched = await uow.challenges.take_back(merchant, transaction_id, stamp.now)
    to_reverse: list[TransactionRecord] = []
    alone = [t for t in touched if t.group_id is None]
    for account_id in sorted({t.account_id for t in alone}):
        refs = [(t.challenge_code, t.occurrence) for t in alone if t.account_id == account_id]
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
            await _free_total_cap(uow, program, challenge)
            to_reverse += await _standing(uow, merchant, [completion.reward_transaction_id])
    for group_id in sorted({t.group_id for t in touched if t.group_id is not None}):
        refs = [(t.challenge_code, t.occurrence) for t in touched if t.group_id == group_id]
        to_reverse += await _take_back_group(uow, program, group_id, refs)
    return to_reverse


async def _take_back_group(
    uow: UnitOfWork, program: Program, group_id: int, refs: list[OccurrenceRef]
) -> list[TransactionRecord]:
    """Undo the group's completions its standing progress no longer reaches: every
    member's payout goes back."""
    merchant = program.merchant_id
    # Taking turns with the members' postings over the group's sum (a dissolved group
    # has no row left to lock, and no posting to race).
    await uow.social_groups.group(merchant, group_id, lock=True)
    completions = await uow.challenges.group_completions(merchant, group_id)
    standing = await uow.challenges.group_standing(merchant, group_id, refs)
    found: list[TransactionRecord] = []
    for ref in refs:
        challenge = program.challenge(ref[0])
        if ref not in completions or challenge is None:
            continue
        rows = [(store, units) for store, units, _ in standing.get(ref, [])]
        if reached(challenge.goal, progress_in(challenge, rows)):
            continue
        payouts = await uow.challenges.payouts(merchant, ref, group_id)
        await uow.challenges.remove_group_completion(merchant, ref, group_id)
        await _free_total_cap(uow, program, challenge)
        found += await _standing(uow, merchant, [p.reward_transaction_id for p in payouts])
    return found


async def _free_total_cap(uow: UnitOfWork, program: Program, challenge: Challenge) -> None:
    if challenge.max_total_completions is not None:
        await uow.challenges.uncount_completion(program.merchant_id, challenge.code)


async def _standing(
    uow: UnitOfWork, merchant_id: int, transaction_ids: Sequence[int | None]
) -> list[TransactionRecord]:
    """The reward transactions that are still standing (not reversed yet)."""
    found = []
    for txn in transaction_ids:
        if txn is None:
            continue
        reward = await uow.transactions.get(merchant_id, txn)
        if reward is not None and reward.undone_by_id is None:
            found.append(reward)
    return found

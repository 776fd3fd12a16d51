"""Posting checks: redeeming, accruing and storing them.

Each value-moving posting writes one ordinary ledger transaction of kind ``check`` per
card: rewards redeemed, points and visits accrued, points converted into rewards, and
the coupon uses with it. transaction/reverse.json undoes it like any other transaction
(and gives its coupon uses back). The check's row is claimed first and held for the
call, so two postings of one check take turns, and a step done already (accrual,
redemption, storing) is refused as a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openpxs.domain.cards import Card, CardRef, may_auto_activate, require_active
from openpxs.domain.challenges import AudienceFacts
from openpxs.domain.check_plans import Plan, RedeemAsk
from openpxs.domain.checks import (
    SentCheck,
    check_facts,
    discounts_share,
    posting_outcome,
    share_of,
    split_ratios,
)
from openpxs.domain.coupons import CouponUse
from openpxs.domain.earning import CheckFacts, Discount
from openpxs.domain.errors import InvalidRequest
from openpxs.domain.ledger import AccountBook
from openpxs.domain.moves import apply_moves, contents_hash
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services import challenge_progress, coupons, standing
from openpxs.services.activation import activate_within
from openpxs.services.balances import AccountView, view_of
from openpxs.services.books import (
    all_wallets,
    find_card_locking_account,
    lock_active_account,
    open_settled_book,
    require_active_account,
    settle_book,
)
from openpxs.services.challenge_progress import PostedCheck
from openpxs.services.check_evaluation import CardCheck, balances_of, facts_of, plan_check
from openpxs.services.stored_checks import record_step
from openpxs.store.repositories.challenges import Entry
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class Posted:
    """What posting a check to a card did, and the account after it."""

    transaction_id: int | None
    card_number: str
    customer_name: str | None
    tier_code: int | None
    plan: Plan
    view: AccountView


@dataclass(frozen=True)
class PostedShare:
    """One payer's part of a split check."""

    card_number: str
    transaction_id: int | None
    plan: Plan


@dataclass(frozen=True)
class AccountRead:
    """What a posting read of an account that was there before it: with the lock, what
    the challenges' audiences look at; in one read after it, whether a check of the
    account still stands, the account's choices about challenges, and its guest's name
    and groups."""

    audience: AudienceFacts
    visited: bool
    entries: Mapping[str, Entry]
    # The guest's name as the POS shows it, and the guest's social groups in no
    # particular order (none without a guest).
    customer_name: str | None
    groups: Sequence[int]


@dataclass(frozen=True)
class OpenAccount:
    """A posting's card and its locked account, with the book (lapsed value written
    off) and what was read of the account (None for one this call made)."""

    card: Card
    account_id: int
    book: AccountBook
    read: AccountRead | None

    @property
    def tier_and_visited(self) -> tuple[int | None, bool] | None:
        """What the earning rules read of the account, when it was read already."""
        return (self.read.audience.tier, self.read.visited) if self.read else None

    def posted(
        self, facts: CheckFacts, discounts: Sequence[Discount], plan: Plan, txn: int | None
    ) -> PostedCheck:
        """The posting of ``plan`` on this account, as the challenges take it, with what
        was read of the account."""
        read = self.read
        return PostedCheck(
            self.account_id,
            self.card.number,
            facts,
            discounts,
            plan,
            txn,
            read.audience if read else None,
            read.entries if read else None,
            read.groups if read else None,
        )


async def open_card_account(
    uow: UnitOfWork, program: Program, stamp: CallStamp, ref: CardRef, *, auto_activate: bool
) -> OpenAccount:
    """The card (activated if asked), its account locked, and its book with lapsed value
    written off."""
    card, audience = await find_card_locking_account(uow, program.merchant_id, ref)
    if may_auto_activate(card, auto_activate):
        txn = await uow.transactions.record(stamp, Kind.ACTIVATE, card_number=card.number)
        card = await activate_within(uow, program, stamp, card, txn)
        account_id = require_active(card)
        await lock_active_account(uow, program.merchant_id, account_id)
        book = await open_settled_book(uow, program, account_id, stamp)
        return OpenAccount(card, account_id, book, None)
    account_id = require_active_account(card)
    if audience is None:  # the lock always reads an active account's; kept for types
        book = await open_settled_book(uow, program, account_id, stamp)
        return OpenAccount(card, account_id, book, None)
    locked = await uow.postings.locked_account(
        program.merchant_id, account_id, audience.user_id, all_wallets(program)
    )
    book = await settle_book(uow, stamp, locked.book)
    name = standing.name_of(locked.first_name, locked.last_name)
    read = AccountRead(audience, locked.visited, locked.entries, name, locked.groups)
    return OpenAccount(card, account_id, book, read)


async def write_plan(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    card: Card,
    account_id: int,
    book: AccountBook,
    plan: Plan,
) -> int | None:
    """The plan as one ledger transaction (none when nothing moves), coupon uses with it."""
    txn = None
    if plan.moves_value:
        apply_moves(book, program, plan.added, plan.redeemed, stamp.now)
        # On PostgreSQL the record and its postings are one statement.
        txn = await uow.record_and_write(
            stamp,
            Kind.CHECK,
            book,
            card_number=card.number,
            contents_hash=contents_hash(plan.added, plan.redeemed),
        )
    # In coupon order, so two checks using the same coupons claim their slots in the
    # same order and never wait on each other in a circle.
    for coupon in sorted(plan.coupons, key=lambda c: c.id):
        use = CouponUse(
            coupon_id=coupon.id,
            store_code=stamp.store_code or "",
            account_id=account_id,
            printed_card_number=card.number,
            check_number=stamp.pos_transaction_id,
            redemption_datetime=stamp.now.isoformat(),
            operator_id=stamp.operator_id,
            terminal_id=stamp.terminal_id,
            transaction_id=txn,
        )
        await coupons.record_use(uow, program, coupon, use, stamp.now)
    return txn


async def post_check(
    uow: UnitOfWork,
    program: Program,
    asked: CardCheck,
    *,
    redeem: Sequence[RedeemAsk] = (),
    coupon_codes: Sequence[str] = (),
    accrue: bool,
    store: bool,
) -> Posted:
    """Redeem the rewards and coupons asked for (refused if any no longer applies),
    accrue on the rest of the check when ``accrue``, and store the check when
    ``store``; one transaction on the card's account."""
    stamp, sent = asked.stamp, asked.sent
    facts, pos_discounts = facts_of(program, stamp, sent.check)
    claimed = await uow.checks.claim(program.merchant_id, sent.key, sent.body, stamp.now)
    redeeming = bool(redeem or coupon_codes)
    claimed.refuse_repeat(accrual=accrue, redemption=redeeming, storing=store)
    # Rewards redeemed for this check earlier (redeemOnly) came off it: accrual must
    # not count the part they paid for.
    earlier = claimed.earlier_redemptions() if accrue and not redeeming else []
    opened = await open_card_account(
        uow, program, stamp, asked.card, auto_activate=asked.auto_activate
    )
    card, account_id, book, read = opened.card, opened.account_id, opened.book, opened.read
    plan = await plan_check(
        uow,
        program,
        facts,
        pos_discounts + earlier,
        template_code=card.template_code,
        account_id=account_id,
        balances=balances_of(book.balances(), program),
        redeem=redeem,
        coupon_codes=coupon_codes,
        now=stamp.now,
        accrue_points=accrue,
        tier_and_visited=opened.tier_and_visited,
    )
    txn = await write_plan(uow, program, stamp, card, account_id, book, plan)
    if accrue:
        # The same check, lines and discounts that earned points move challenges on.
        offers = [offer.as_discount() for offer, _, _ in plan.offers]
        posted = opened.posted(facts, [*pos_discounts, *earlier, *offers], plan, txn)
        await challenge_progress.advance(uow, program, stamp, posted, book)
    tier = await standing.update_tier(uow, program, account_id, stamp.now)
    flags = {}
    if accrue:
        flags["accrued"] = True
    if redeeming:
        flags["redeemed"] = True
    await record_step(
        uow,
        program.merchant_id,
        claimed,
        body=sent.body,
        stored=store,
        card_number=card.number,
        account_id=account_id,
        accrual_txn=txn if accrue else None,
        redemption_txn=txn if redeeming else None,
        outcome=posting_outcome(plan, facts, earlier, **flags),
    )
    # The tier was just re-evaluated; the name was read with the account.
    if read is None:
        name = await standing.customer_name(uow, program.merchant_id, account_id)
    else:
        name = read.customer_name
    view = view_of(book, program, card.number, card.template_code)
    return Posted(txn, card.number, name, tier, plan, view)


async def post_split_check(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    sent: SentCheck,
    payers: Sequence[tuple[CardRef, Decimal]],
    *,
    auto_activate: bool,
) -> list[PostedShare]:
    """Each card earns on the check scaled by its amount paid / the total; one
    transaction per card, all or none. The amounts may not add up to more than the
    total, and no account may pay twice."""
    facts, pos_discounts = facts_of(program, stamp, sent.check)
    ratios = split_ratios(sent.check, [paid for _, paid in payers])
    numbers = [ref.number for ref, _ in payers]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("a card appears twice in cardAmounts")
    claimed = await uow.checks.claim(program.merchant_id, sent.key, sent.body, stamp.now)
    claimed.refuse_repeat(accrual=True, redemption=False, storing=True)
    shares = []
    accounts_seen: set[int] = set()
    # Cards are locked in the order given; two splits of one check are kept apart by
    # the check's own row lock, taken first.
    for (ref, _), ratio in zip(payers, ratios, strict=True):
        opened = await open_card_account(uow, program, stamp, ref, auto_activate=auto_activate)
        card, account_id, book = opened.card, opened.account_id, opened.book
        if account_id in accounts_seen:
            raise InvalidRequest("two cards in cardAmounts belong to the same account")
        accounts_seen.add(account_id)
        plan = await plan_check(
            uow,
            program,
            share_of(facts, ratio),
            discounts_share(pos_discounts, ratio),
            template_code=card.template_code,
            account_id=account_id,
            balances=balances_of(book.balances(), program),
            redeem=[],
            coupon_codes=[],
            now=stamp.now,
            accrue_points=True,
            tier_and_visited=opened.tier_and_visited,
        )
        txn = await write_plan(uow, program, stamp, card, account_id, book, plan)
        posted = opened.posted(
            share_of(facts, ratio), discounts_share(pos_discounts, ratio), plan, txn
        )
        await challenge_progress.advance(uow, program, stamp, posted, book)
        await standing.update_tier(uow, program, account_id, stamp.now)
        shares.append(PostedShare(card.number, txn, plan))
    txns = [share.transaction_id for share in shares if share.transaction_id is not None]
    await record_step(
        uow,
        program.merchant_id,
        claimed,
        body=sent.body,
        stored=True,
        card_number=None,
        account_id=None,
        accrual_txn=txns[0] if txns else None,
        outcome={"accrued": True, "split": True, "transactions": txns},
    )
    return shares


async def store_check(uow: UnitOfWork, program: Program, sent: SentCheck, now: datetime) -> None:
    """Store a check for troubleshooting and analytics; no balances move."""
    check_facts(sent.check, program, sent.key.store_code, None)
    claimed = await uow.checks.claim(program.merchant_id, sent.key, sent.body, now)
    claimed.refuse_repeat(accrual=False, redemption=False, storing=True)
    await record_step(
        uow,
        program.merchant_id,
        claimed,
        body=sent.body,
        stored=True,
        card_number=None,
        account_id=None,
    )

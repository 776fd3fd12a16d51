"""Checks at the POS or from online ordering: what they earn, what comes off them.

``evaluate`` works out a check against the account without writing anything (the
simulate and compute endpoints); ``commit`` does the same and then writes it as one
ordinary ledger transaction of kind ``check``: rewards redeemed, points and visits
accrued, points converted into rewards. transaction/reverse.json undoes it like any
other transaction. A check is stored once per (store, POS agent, check number, business
date) and accrues and redeems at most once, however often it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.config.loyalty import Coupon
from openpxs.domain.cards import Card, CardRef, may_auto_activate
from openpxs.domain.clock import end_of_day
from openpxs.domain.earning import (
    AccountFacts,
    Accrual,
    CheckFacts,
    ConversionMove,
    Discount,
    Offer,
    accrue,
    conversions,
    offer,
    tier_for,
)
from openpxs.domain.errors import (
    CardNotActive,
    CouponNotApplicable,
    DuplicateCheck,
    InsufficientBalance,
    InvalidCoupon,
    Reason,
    Refused,
    RewardNotAvailable,
)
from openpxs.domain.ledger import AccountBook
from openpxs.domain.money import from_units
from openpxs.domain.moves import AppliedMove, apply_moves, contents_hash
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.services.activation import activate_within
from openpxs.services.books import find_card, lock_active_account, open_settled_book
from openpxs.store.repositories.ledger import JOURNAL_WITH_TRANSACTIONS
from openpxs.store.tables import (
    accounts,
    checks,
    coupon_uses,
    journal,
    merchants,
    price_match_discounts,
    transactions,
)
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class CheckKey:
    store_code: str
    agent_name: str
    number: str
    business_date: str


@dataclass(frozen=True)
class RedeemAsk:
    wallet_code: int
    quantity: object


@dataclass
class Plan:
    """What a check does to an account, worked out but not written."""

    offers: list[tuple[Offer, int | None, str | None]] = field(default_factory=list)
    accrual: Accrual = field(default_factory=Accrual)
    conversions: list[ConversionMove] = field(default_factory=list)
    added: list[AppliedMove] = field(default_factory=list)
    redeemed: list[AppliedMove] = field(default_factory=list)
    coupons: list[Coupon] = field(default_factory=list)
    balances_after: dict[int, Decimal] = field(default_factory=dict)

    @property
    def moves_value(self) -> bool:
        return bool(self.added or self.redeemed)


def _reward_of(program: Program, wallet_code: int) -> Any:
    for reward in program.loyalty.rewards:
        if reward.wallet == wallet_code:
            return reward
    return None


def _whole(quantity: object) -> int:
    try:
        value = Decimal(str(quantity))
    except ArithmeticError:
        raise RewardNotAvailable("a reward quantity must be a whole number") from None
    if not value.is_finite() or value != value.to_integral_value() or value < 1:
        raise RewardNotAvailable("a reward quantity must be a whole number of at least 1")
    return int(value)


def local_time(program: Program, now: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(program.timezone)).replace(tzinfo=None)


# Built once: a check posting reads the account's standing with these.
_TIER_OF = select(accounts.c.tier_code).where(
    accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a")
)
_VISITED = select(
    exists().where(
        transactions.c.merchant_id == bindparam("m"),
        transactions.c.account_id == bindparam("a"),
        transactions.c.kind == Kind.CHECK,
        transactions.c.undone_by_id.is_(None),
    )
)
_EARNED_SINCE = (
    select(func.coalesce(func.sum(journal.c.units), 0))
    .select_from(JOURNAL_WITH_TRANSACTIONS)
    .where(
        journal.c.merchant_id == bindparam("m"),
        journal.c.account_id == bindparam("a"),
        journal.c.wallet_code == bindparam("w"),
        journal.c.units > 0,
        journal.c.created_at >= bindparam("since"),
        transactions.c.target_id.is_(None),
        transactions.c.undone_by_id.is_(None),
    )
)
_SET_TIER = (
    update(accounts)
    .where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a"))
    .values(tier_code=bindparam("tier"))
)


async def account_facts(
    uow: UnitOfWork, program: Program, account_id: int, now: datetime
) -> AccountFacts:
    params = {"m": program.merchant_id, "a": account_id}
    tier = (await uow.conn.execute(_TIER_OF, params)).scalar()
    day_start = end_of_day(program.today(now) - timedelta(days=1), program.timezone)
    earned_today = {
        rule.wallet: await earned_since(uow, program, account_id, rule.wallet, day_start)
        for rule in program.loyalty.earning
        if rule.cap_per_day is not None
    }
    visited = (await uow.conn.execute(_VISITED, params)).scalar()
    return AccountFacts(tier_code=tier, earned_today=earned_today, first_visit=not visited)


async def earned_since(
    uow: UnitOfWork, program: Program, account_id: int, wallet_code: int, since: datetime
) -> Decimal:
    """Value credited to a wallet since ``since`` by transactions that still stand:
    redemptions, conversions and expiries do not lower it; reversals do not count."""
    units = (
        await uow.conn.execute(
            _EARNED_SINCE,
            {"m": program.merchant_id, "a": account_id, "w": wallet_code, "since": since},
        )
    ).scalar()
    wallet = program.wallets.get(wallet_code)
    return from_units(int(units or 0), wallet.scale if wallet else 4)


def balances_of(book: AccountBook, program: Program) -> dict[int, Decimal]:
    return {
        code: from_units(ledger.balance, program.wallets[code].scale)
        for code, ledger in book.ledgers.items()
        if code in program.wallets
    }


async def coupon_uses_count(
    uow: UnitOfWork, merchant_id: int, coupon_id: int, account_id: int | None
) -> int:
    """Uses that still stand: not voided, and their check not reversed."""
    stmt = (
        select(func.count())
        .select_from(
            coupon_uses.outerjoin(
                transactions,
                and_(
                    transactions.c.merchant_id == coupon_uses.c.merchant_id,
                    transactions.c.id == coupon_uses.c.transaction_id,
                ),
            )
        )
        .where(
            coupon_uses.c.merchant_id == merchant_id,
            coupon_uses.c.coupon_id == coupon_id,
            coupon_uses.c.voided_at.is_(None),
            transactions.c.undone_by_id.is_(None),
        )
    )
    if account_id is not None:
        stmt = stmt.where(coupon_uses.c.account_id == account_id)
    return int((await uow.conn.execute(stmt)).scalar() or 0)


async def lock_coupon_uses(uow: UnitOfWork, merchant_id: int) -> None:
    """Coupon uses are counted, then written: the merchant's row lock makes tills and
    checks take turns, so two cannot both take a coupon's last use (SQLite: BEGIN
    IMMEDIATE already serializes every writer)."""
    if uow.conn.dialect.name == "postgresql":
        await uow.conn.execute(
            select(merchants.c.merchant_id)
            .where(merchants.c.merchant_id == merchant_id)
            .with_for_update()
        )


def find_coupon(program: Program, code: str) -> Coupon:
    wanted = code.strip().upper()
    for coupon in program.loyalty.coupons:
        if coupon.code.upper() == wanted:
            return coupon
    raise InvalidCoupon(f"no coupon has the code {code!r}")


async def check_coupon(
    uow: UnitOfWork,
    program: Program,
    coupon: Coupon,
    store_code: str | None,
    account_id: int | None,
    now: datetime,
) -> None:
    """Refuse a coupon that is outside its dates or stores or has no uses left."""
    today = program.today(now)
    if coupon.valid_from and today < coupon.valid_from:
        raise Refused(Reason.COUPON_NOT_YET_VALID, "the coupon is not valid yet")
    if coupon.valid_until and today > coupon.valid_until:
        raise Refused(Reason.COUPON_EXPIRED, "the coupon has expired")
    if coupon.stores and store_code not in coupon.stores:
        raise Refused(Reason.COUPON_NOT_AT_STORE, "the coupon is not valid at this store")
    mid = program.merchant_id
    if (coupon.single_use and await coupon_uses_count(uow, mid, coupon.id, None) >= 1) or (
        coupon.max_uses is not None
        and await coupon_uses_count(uow, mid, coupon.id, None) >= coupon.max_uses
    ):
        raise Refused(Reason.COUPON_USED_UP, "the coupon has been used up")
    if coupon.per_account_limit is not None:
        if account_id is None:
            raise Refused(Reason.COUPON_USED_UP, "this coupon needs a loyalty card")
        if await coupon_uses_count(uow, mid, coupon.id, account_id) >= coupon.per_account_limit:
            raise Refused(Reason.COUPON_USED_UP, "the coupon was already used on this account")


async def plan_check(
    uow: UnitOfWork,
    program: Program,
    facts: CheckFacts,
    pos_discounts: Sequence[Discount],
    *,
    template_code: int | None,
    account_id: int | None,
    balances: dict[int, Decimal],
    redeem: Sequence[RedeemAsk],
    coupon_codes: Sequence[str],
    now: datetime,
    accrue_points: bool,
    convert: bool = True,
) -> Plan:
    """Rewards and coupons off the check, then accrual on what is left, then the
    conversions the new balances reach."""
    plan = Plan()
    taken: list[Discount] = list(pos_discounts)
    after = dict(balances)
    # Per wallet over the whole call: listing a reward twice is no way past its limit.
    used: dict[int, int] = {}
    for ask in redeem:
        reward = _reward_of(program, ask.wallet_code)
        if reward is None:
            raise RewardNotAvailable(f"wallet {ask.wallet_code} is not a reward for checks")
        used[ask.wallet_code] = used.get(ask.wallet_code, 0) + _whole(ask.quantity)
        count = _whole(ask.quantity)
        if used[ask.wallet_code] > reward.definition.max_per_check:
            raise RewardNotAvailable(
                f"at most {reward.definition.max_per_check} of this reward per check"
            )
        if after.get(ask.wallet_code, Decimal(0)) < count:
            raise InsufficientBalance(f"wallet {ask.wallet_code} holds less than {count}")
        wallet = program.wallets[ask.wallet_code]
        for _ in range(count):
            got = offer(wallet.name, reward.definition, facts, taken)
            if got is None:
                raise RewardNotAvailable(f"{wallet.name} does not apply to this check")
            plan.offers.append((got, wallet.code, None))
            taken.append(got.as_discount())
        after[ask.wallet_code] = after.get(ask.wallet_code, Decimal(0)) - count
        plan.redeemed.append(AppliedMove(wallet, Decimal(count)))
    if coupon_codes:
        await lock_coupon_uses(uow, program.merchant_id)
    for code in coupon_codes:
        coupon = find_coupon(program, code)
        await check_coupon(uow, program, coupon, facts.store_code, account_id, now)
        got = offer(coupon.name, coupon.definition, facts, taken)
        if got is None:
            raise CouponNotApplicable(f"{coupon.code} does not apply to this check")
        plan.offers.append((got, None, coupon.code))
        plan.coupons.append(coupon)
        taken.append(got.as_discount())
    if accrue_points and template_code is not None:
        on_card = {w.code for w in program.wallets_of_template(template_code)}
        scales = {code: w.scale for code, w in program.wallets.items()}
        facts_of_account = (
            await account_facts(uow, program, account_id, now)
            if account_id is not None
            else AccountFacts()
        )
        accrual = accrue(program.loyalty, scales, facts, taken, facts_of_account)
        plan.accrual = Accrual(
            {w: q for w, q in accrual.quantities.items() if w in on_card},
            [r for r in accrual.breakdown if r.wallet in on_card],
        )
        for wallet_code, quantity in sorted(plan.accrual.quantities.items()):
            after[wallet_code] = after.get(wallet_code, Decimal(0)) + quantity
            plan.added.append(
                AppliedMove(
                    program.wallets[wallet_code], quantity, _expiry(program, wallet_code, now)
                )
            )
        rules = [c for c in program.loyalty.conversions if convert and c.to_wallet in on_card]
        plan.conversions = conversions(rules, after)
        for move in plan.conversions:
            after[move.from_wallet] -= move.from_quantity
            after[move.to_wallet] = after.get(move.to_wallet, Decimal(0)) + move.to_quantity
            plan.redeemed.append(AppliedMove(program.wallets[move.from_wallet], move.from_quantity))
            plan.added.append(
                AppliedMove(
                    program.wallets[move.to_wallet],
                    move.to_quantity,
                    _expiry(program, move.to_wallet, now),
                )
            )
    plan.balances_after = after
    return plan


def applicable_rewards(
    program: Program,
    facts: CheckFacts,
    pos_discounts: Sequence[Discount],
    balances: dict[int, Decimal],
) -> list[tuple[Offer, int]]:
    """Every reward unit the account holds that applies to the check, in the program's
    order, each as the discount it gives after the ones before it (up to the balance and
    the reward's limit per check): what the server picks when the caller does not."""
    found: list[tuple[Offer, int]] = []
    taken = list(pos_discounts)
    for reward in program.loyalty.rewards:
        wallet = program.wallets.get(reward.wallet)
        held = int(balances.get(reward.wallet, Decimal(0)))
        if wallet is None:
            continue
        for _ in range(min(held, reward.definition.max_per_check)):
            got = offer(wallet.name, reward.definition, facts, taken)
            if got is None:
                break
            found.append((got, wallet.code))
            taken.append(got.as_discount())
    return found


def _expiry(program: Program, wallet_code: int, now: datetime) -> Any:
    reward = _reward_of(program, wallet_code)
    if reward is not None and reward.expires_after_days:
        return program.today(now) + timedelta(days=reward.expires_after_days)
    return program.default_expiry(program.wallets[wallet_code], now)


async def open_card_account(
    uow: UnitOfWork, program: Program, where: CallStamp, ref: CardRef, *, auto_activate: bool
) -> tuple[Card, int, AccountBook]:
    """The card (activated if asked), its account locked, and its book with lapsed value
    written off."""
    card = await find_card(uow, program.merchant_id, ref, lock=True)
    if may_auto_activate(card, auto_activate):
        txn = await uow.transactions.record(where, Kind.ACTIVATE, card_number=card.number)
        card = await activate_within(uow, program, where, card, txn)
    if not card.is_active or card.account_id is None:
        raise CardNotActive()
    await lock_active_account(uow, program.merchant_id, card.account_id)
    book = await open_settled_book(uow, program, card.account_id, where)
    return card, card.account_id, book


async def write_plan(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    card: Card,
    account_id: int,
    book: AccountBook,
    plan: Plan,
) -> int | None:
    """The plan as one ledger transaction (none when nothing moves), coupon uses with it."""
    txn = None
    if plan.moves_value:
        txn = await uow.transactions.record(
            where,
            Kind.CHECK,
            card_number=card.number,
            contents_hash=contents_hash(plan.added, plan.redeemed),
            account_id=account_id,
        )
        apply_moves(book, program, plan.added, plan.redeemed, where.now)
        await uow.ledger.write([book], txn, where.now)
    for coupon in plan.coupons:
        await uow.conn.execute(
            insert(coupon_uses).values(
                merchant_id=program.merchant_id,
                coupon_id=coupon.id,
                account_id=account_id,
                printed_card_number=card.number,
                store_code=where.store_code or "",
                check_number=where.pos_transaction_id,
                redemption_datetime=where.now.isoformat(),
                terminal_id=where.terminal_id,
                operator_id=where.operator_id,
                transaction_id=txn,
                created_at=where.now,
            )
        )
    return txn


async def update_tier(
    uow: UnitOfWork, program: Program, account_id: int, now: datetime
) -> int | None:
    """Re-qualify the account for its tier from what it earned in each tier's window."""
    tiers = program.loyalty.tiers
    if not tiers:
        return None
    stats: dict[str, Decimal] = {}
    for tier in tiers:
        since = now - timedelta(days=tier.window_days)
        for kind, wallet in (("points", tier.points_wallet), ("visits", tier.visits_wallet)):
            key = f"{kind}:{wallet}:{tier.window_days}"
            if wallet is not None and key not in stats:
                stats[key] = await earned_since(uow, program, account_id, wallet, since)
        if tier.spend is not None:
            stats[f"spend:{tier.window_days}"] = await spend_since(
                uow, program.merchant_id, account_id, since
            )
    code = tier_for(tiers, stats)
    await uow.conn.execute(_SET_TIER, {"m": program.merchant_id, "a": account_id, "tier": code})
    return code


async def spend_since(
    uow: UnitOfWork, merchant_id: int, account_id: int, since: datetime
) -> Decimal:
    rows = await uow.conn.execute(
        select(checks.c.outcome).where(
            checks.c.merchant_id == merchant_id,
            checks.c.account_id == account_id,
            checks.c.posted_at >= since,
            checks.c.accrual_transaction_id.is_not(None),
        )
    )
    return sum((Decimal(str((r.outcome or {}).get("spend", "0"))) for r in rows), Decimal(0))


async def claim_check(
    uow: UnitOfWork, merchant_id: int, key: CheckKey, body: dict[str, Any], now: datetime
) -> Any:
    """The stored row of this check, created if new, locked for this call."""
    postgres = uow.conn.dialect.name == "postgresql"
    # A check posted before keeps its row as it is (both dialects skip the conflict
    # without the savepoint a failed insert would need).
    await uow.conn.execute(
        _CLAIM_CHECK_POSTGRES if postgres else _CLAIM_CHECK_SQLITE,
        {
            "merchant_id": merchant_id,
            "store_code": key.store_code,
            "agent_name": key.agent_name,
            "check_number": key.number,
            "business_date": key.business_date,
            "body": body,
            "posted_at": now,
        },
    )
    found = await uow.conn.execute(
        _LOCK_CHECK if postgres else _FIND_CHECK,
        {
            "m": merchant_id,
            "store": key.store_code,
            "agent": key.agent_name,
            "number": key.number,
            "day": key.business_date,
        },
    )
    return found.one()


# Built once: every check posting claims its row.
_CLAIM_CHECK_POSTGRES = postgresql.insert(checks).on_conflict_do_nothing()
_CLAIM_CHECK_SQLITE = sqlite.insert(checks).on_conflict_do_nothing()
_FIND_CHECK = select(checks).where(
    checks.c.merchant_id == bindparam("m"),
    checks.c.store_code == bindparam("store"),
    checks.c.agent_name == bindparam("agent"),
    checks.c.check_number == bindparam("number"),
    checks.c.business_date == bindparam("day"),
)
_LOCK_CHECK = _FIND_CHECK.with_for_update()
_UPDATE_CHECK = update(checks).where(checks.c.id == bindparam("check_id"))


async def record_check(
    uow: UnitOfWork,
    row: Any,
    *,
    body: dict[str, Any],
    stored: bool,
    card_number: str | None,
    account_id: int | None,
    accrual_txn: int | None = None,
    redemption_txn: int | None = None,
    outcome: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {"body": body}
    if stored:
        values["stored"] = True
    if card_number is not None:
        values["card_number"] = card_number
        values["account_id"] = account_id
    if accrual_txn is not None:
        values["accrual_transaction_id"] = accrual_txn
    if redemption_txn is not None:
        values["redemption_transaction_id"] = redemption_txn
    if outcome is not None:
        # Steps of one check (redeemOnly, then accrual) add up: their moves and rules
        # are kept side by side.
        merged = dict(row.outcome or {})
        for key, value in outcome.items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
        values["outcome"] = merged
    # The columns set are the keys given: one compiled form per combination, cached.
    await uow.conn.execute(_UPDATE_CHECK, {"check_id": row.id, **values})


def refuse_repeat(row: Any, *, accrual: bool, redemption: bool, storing: bool) -> None:
    """A check accrues once, redeems once and is stored once."""
    done = row.outcome or {}
    if accrual and done.get("accrued"):
        raise DuplicateCheck("this check has already accrued")
    if redemption and done.get("redeemed"):
        raise DuplicateCheck("rewards were already redeemed on this check")
    if storing and row.stored and not accrual and not redemption:
        raise DuplicateCheck("this check has already been posted")


async def potential_unit_discounts(
    uow: UnitOfWork,
    program: Program,
    store_code: str,
    items: Sequence[tuple[str, str | None]],
    now: datetime,
) -> list[tuple[str, str, Decimal]]:
    """(item, name, discount per unit) for the items the store price-matches now."""
    if not items:
        return []
    wanted = {item for item, _ in items}
    rows = await uow.conn.execute(
        select(price_match_discounts).where(
            price_match_discounts.c.merchant_id == program.merchant_id,
            price_match_discounts.c.store_code == store_code,
            price_match_discounts.c.item_id.in_(wanted),
        )
    )
    best: dict[str, int] = {}
    for r in rows:
        if (r.start_at is not None and r.start_at > now) or (
            r.end_at is not None and r.end_at <= now
        ):
            continue
        best[r.item_id] = max(best.get(r.item_id, 0), r.discount_per_unit_units)
    return [
        (item, name or "Price match", from_units(best[item], 4))
        for item, name in items
        if item in best
    ]

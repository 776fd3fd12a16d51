"""What a check does to an account, worked out step by step and not yet written.

Rewards come off first, in the order asked, each unit as the discount it gives after
the ones before; then coupons; then the rest of the check earns, and the balances it
reaches convert. The steps that need the database (a coupon's uses, the account's
standing) are the caller's: this module gets their answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from openpxs.config.loyalty import Coupon, Reward
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
)
from openpxs.domain.errors import CouponNotApplicable, InsufficientBalance, RewardNotAvailable
from openpxs.domain.moves import AppliedMove
from openpxs.domain.program import Program


@dataclass(frozen=True)
class RedeemAsk:
    """A reward the caller asks to take off the check, as sent (quantity unchecked)."""

    wallet_code: int
    quantity: object


@dataclass
class Plan:
    """What a check does to an account, worked out but not written."""

    # (what comes off the check, the reward's wallet code, the coupon's code)
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


def reward_of(program: Program, wallet_code: int) -> Reward | None:
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


def reward_expiry(program: Program, wallet_code: int, now: datetime) -> date | None:
    """When value credited to a wallet now expires: a reward's own term, else the
    wallet's default."""
    reward = reward_of(program, wallet_code)
    if reward is not None and reward.expires_after_days:
        return program.today(now) + timedelta(days=reward.expires_after_days)
    return program.default_expiry(program.wallets[wallet_code], now)


class CheckPlanner:
    """Builds a ``Plan`` one step at a time over one check and one account's balances."""

    def __init__(
        self,
        program: Program,
        facts: CheckFacts,
        pos_discounts: Sequence[Discount],
        balances: dict[int, Decimal],
    ):
        self.program = program
        self.facts = facts
        self.plan = Plan()
        # Everything off the check so far: the POS's discounts, then each offer taken.
        self.taken: list[Discount] = list(pos_discounts)
        self.after = dict(balances)
        self.plan.balances_after = self.after

    def redeem(self, asks: Sequence[RedeemAsk]) -> None:
        program, plan = self.program, self.plan
        # Per wallet over the whole call: listing a reward twice is no way past its limit.
        used: dict[int, int] = {}
        for ask in asks:
            reward = reward_of(program, ask.wallet_code)
            if reward is None:
                raise RewardNotAvailable(f"wallet {ask.wallet_code} is not a reward for checks")
            count = _whole(ask.quantity)
            used[ask.wallet_code] = used.get(ask.wallet_code, 0) + count
            if used[ask.wallet_code] > reward.definition.max_per_check:
                raise RewardNotAvailable(
                    f"at most {reward.definition.max_per_check} of this reward per check"
                )
            if self.after.get(ask.wallet_code, Decimal(0)) < count:
                raise InsufficientBalance(f"wallet {ask.wallet_code} holds less than {count}")
            wallet = program.wallets[ask.wallet_code]
            for _ in range(count):
                got = offer(wallet.name, reward.definition, self.facts, self.taken)
                if got is None:
                    raise RewardNotAvailable(f"{wallet.name} does not apply to this check")
                plan.offers.append((got, wallet.code, None))
                self.taken.append(got.as_discount())
            self.after[ask.wallet_code] = self.after.get(ask.wallet_code, Decimal(0)) - count
            plan.redeemed.append(AppliedMove(wallet, Decimal(count)))

    def take_coupon(self, coupon: Coupon) -> None:
        """The coupon off the check (its dates, stores and uses judged by the caller)."""
        got = offer(coupon.name, coupon.definition, self.facts, self.taken)
        if got is None:
            raise CouponNotApplicable(f"{coupon.code} does not apply to this check")
        self.plan.offers.append((got, None, coupon.code))
        self.plan.coupons.append(coupon)
        self.taken.append(got.as_discount())

    def accrue(
        self, template_code: int, account: AccountFacts, now: datetime, *, convert: bool = True
    ) -> None:
        """What the rest of the check earns on the card's wallets, then the conversions
        the new balances reach."""
        program, plan, after = self.program, self.plan, self.after
        on_card = {w.code for w in program.wallets_of_template(template_code)}
        scales = {code: w.scale for code, w in program.wallets.items()}
        accrual = accrue(program.loyalty, scales, self.facts, self.taken, account)
        plan.accrual = Accrual(
            {w: q for w, q in accrual.quantities.items() if w in on_card},
            [r for r in accrual.breakdown if r.wallet in on_card],
        )
        for wallet_code, quantity in sorted(plan.accrual.quantities.items()):
            after[wallet_code] = after.get(wallet_code, Decimal(0)) + quantity
            plan.added.append(
                AppliedMove(
                    program.wallets[wallet_code], quantity, reward_expiry(program, wallet_code, now)
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
                    reward_expiry(program, move.to_wallet, now),
                )
            )


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

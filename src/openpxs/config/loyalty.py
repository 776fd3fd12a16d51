"""The earning and rewards rules of a merchant's program (the ``loyalty`` section).

Each rule names the wallets it moves; ``MerchantConfig`` checks those references against
the declared wallets and stores. The rules engine (``domain.earning``) evaluates the
validated rules; nothing here knows about checks or balances.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Annotated[str, Field(min_length=1, max_length=100)]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Eligibility(_Model):
    """Which check lines a rule looks at. Empty lists mean no restriction."""

    items: list[Code] = Field(default_factory=list)
    categories: list[Code] = Field(default_factory=list)
    exclude_items: list[Code] = Field(default_factory=list)
    exclude_categories: list[Code] = Field(default_factory=list)
    stores: list[Code] = Field(default_factory=list)
    store_groups: list[Code] = Field(default_factory=list)


class When(_Model):
    """When a rule applies, in the merchant's local time. Empty means always."""

    days_of_week: list[Weekday] = Field(default_factory=list)
    time_from: time | None = None
    time_to: time | None = None
    date_from: date | None = None
    date_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> When:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


class EarningRule(_Model):
    """Points per whole currency unit of eligible spend (after discounts)."""

    name: Name
    wallet: int = Field(gt=0)
    per_currency: Quantity = Decimal(1)
    # How the check's points are rounded to the wallet's scale.
    rounding: Literal["floor", "round", "ceil"] = "floor"
    eligible: Eligibility = Field(default_factory=Eligibility)
    when: When = Field(default_factory=When)
    min_check: Money = Decimal(0)
    cap_per_check: Quantity | None = None
    cap_per_day: Quantity | None = None


class Multiplier(_Model):
    """Multiplies the points of matching lines (by category or item), or of the whole
    check (by tier, day or time). Multipliers that match the same line multiply."""

    name: Name
    factor: Annotated[Decimal, Field(gt=0, le=100)]
    wallet: int | None = None  # None: every earning wallet
    eligible: Eligibility = Field(default_factory=Eligibility)
    when: When = Field(default_factory=When)
    tiers: list[int] = Field(default_factory=list)


class Bonus(_Model):
    """A fixed number of points for buying an item, or for the first visit."""

    name: Name
    wallet: int = Field(gt=0)
    quantity: Quantity
    items: list[Code] = Field(default_factory=list)
    first_visit: bool = False
    when: When = Field(default_factory=When)
    min_check: Money = Decimal(0)

    @model_validator(mode="after")
    def _a_trigger(self) -> Bonus:
        if not self.items and not self.first_visit:
            raise ValueError("give items or first_visit: true")
        return self


class VisitRule(_Model):
    name: Name = "Visit"
    wallet: int = Field(gt=0)
    min_subtotal: Money = Decimal(0)
    per_check: Quantity = Decimal(1)


class Conversion(_Model):
    """Every ``threshold`` of ``from_wallet`` turns into ``quantity`` of ``to_wallet``."""

    name: Name
    from_wallet: int = Field(gt=0)
    threshold: Quantity
    to_wallet: int = Field(gt=0)
    quantity: Quantity = Decimal(1)
    automatic: bool = True
    # On reversing a check whose points were converted and the reward since spent:
    # "claw_back" takes the points back instead; "refuse" refuses the reversal.
    on_reversal: Literal["claw_back", "refuse"] = "claw_back"


DiscountKind = Literal[
    "amount_off_subtotal",
    "percent_off_subtotal",
    "amount_off_item",
    "percent_off_item",
    "free_item",
    "amount_off_items",
    "amount_off_service_charge",
]


class RewardDefinition(_Model):
    """What one unit of a reward wallet (or one coupon) takes off a check."""

    kind: DiscountKind
    amount: Money | None = None
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    # Lines an item reward may apply to.
    eligible: Eligibility = Field(default_factory=Eligibility)
    min_subtotal: Money = Decimal(0)
    # At most this many units of the reward on one check.
    max_per_check: int = Field(default=1, ge=1, le=100)

    @model_validator(mode="after")
    def _value(self) -> RewardDefinition:
        needs_percent = self.kind in ("percent_off_subtotal", "percent_off_item")
        if needs_percent and self.percent is None:
            raise ValueError(f"{self.kind} needs percent")
        if not needs_percent and self.kind != "free_item" and self.amount is None:
            raise ValueError(f"{self.kind} needs amount")
        return self


class Reward(_Model):
    wallet: int = Field(gt=0)
    definition: RewardDefinition
    # Reward units expire this many days after they are earned (None: never).
    expires_after_days: int | None = Field(default=None, gt=0)


class TierRule(_Model):
    code: int = Field(ge=0)
    name: Name
    # Qualification over a rolling window: any one threshold reached qualifies.
    points: Quantity | None = None
    points_wallet: int | None = None
    visits: Quantity | None = None
    visits_wallet: int | None = None
    spend: Money | None = None
    window_days: int = Field(default=365, ge=1, le=3650)


class Coupon(_Model):
    id: int = Field(gt=0)
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Name
    definition: RewardDefinition
    # The wallet reported as the coupon's redeem wallet (coupon/validateCouponUsage).
    wallet: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    stores: list[Code] = Field(default_factory=list)
    per_account_limit: int | None = Field(default=None, ge=1)
    max_uses: int | None = Field(default=None, ge=1)
    # A single-use code is used up by its first use, whoever uses it.
    single_use: bool = False


class CampaignEvent(_Model):
    """A 'click to load' reward (campaignfeedback.yaml)."""

    id: Code
    name: Name
    wallet: int = Field(gt=0)
    quantity: Quantity
    store: Code = "corp"
    expires_after_days: int | None = Field(default=None, gt=0)
    # Card templates whose accounts may load it; empty = every template.
    templates: list[int] = Field(default_factory=list)


class LoyaltyConfig(_Model):
    earning: list[EarningRule] = Field(default_factory=list)
    multipliers: list[Multiplier] = Field(default_factory=list)
    bonuses: list[Bonus] = Field(default_factory=list)
    visits: list[VisitRule] = Field(default_factory=list)
    conversions: list[Conversion] = Field(default_factory=list)
    rewards: list[Reward] = Field(default_factory=list)
    tiers: list[TierRule] = Field(default_factory=list)
    coupons: list[Coupon] = Field(default_factory=list)
    events: list[CampaignEvent] = Field(default_factory=list)
    # Base64 key (32 bytes) for encrypted campaign codes (campaignfeedback).
    campaign_key: Annotated[str, Field(min_length=40, max_length=64)] | None = None

    @model_validator(mode="after")
    def _unique(self) -> LoyaltyConfig:
        listed: list[tuple[str, list[str]]] = [
            ("reward wallet", [str(r.wallet) for r in self.rewards]),
            ("tier code", [str(t.code) for t in self.tiers]),
            ("coupon id", [str(c.id) for c in self.coupons]),
            ("coupon code", [c.code.upper() for c in self.coupons]),
            ("event id", [e.id for e in self.events]),
        ]
        for what, keys in listed:
            repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
            if repeated:
                raise ValueError(f"{what} listed twice: {', '.join(repeated)}")
        return self

    def wallet_references(self) -> list[tuple[tuple[str | int, ...], int]]:
        """(location, wallet code) of every wallet a rule names, for cross-checking."""
        refs: list[tuple[tuple[str | int, ...], int]] = []
        for i, e in enumerate(self.earning):
            refs.append((("earning", i, "wallet"), e.wallet))
        for i, m in enumerate(self.multipliers):
            if m.wallet is not None:
                refs.append((("multipliers", i, "wallet"), m.wallet))
        for i, b in enumerate(self.bonuses):
            refs.append((("bonuses", i, "wallet"), b.wallet))
        for i, v in enumerate(self.visits):
            refs.append((("visits", i, "wallet"), v.wallet))
        for i, c in enumerate(self.conversions):
            refs.append((("conversions", i, "from_wallet"), c.from_wallet))
            refs.append((("conversions", i, "to_wallet"), c.to_wallet))
        for i, r in enumerate(self.rewards):
            refs.append((("rewards", i, "wallet"), r.wallet))
        for i, t in enumerate(self.tiers):
            for name in ("points_wallet", "visits_wallet"):
                code = getattr(t, name)
                if code is not None:
                    refs.append((("tiers", i, name), code))
        for i, coupon in enumerate(self.coupons):
            if coupon.wallet is not None:
                refs.append((("coupons", i, "wallet"), coupon.wallet))
        for i, ev in enumerate(self.events):
            refs.append((("events", i, "wallet"), ev.wallet))
        return refs

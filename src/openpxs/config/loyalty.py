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
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Eligibility(_Model):
    """Which check lines a rule looks at. Empty lists mean no restriction."""

    items: list[Code] = Field(default_factory=list)
    """Only these item ids."""
    categories: list[Code] = Field(default_factory=list)
    """Only items in these categories."""
    exclude_items: list[Code] = Field(default_factory=list)
    """Never these item ids."""
    exclude_categories: list[Code] = Field(default_factory=list)
    """Never items in these categories."""
    stores: list[Code] = Field(default_factory=list)
    """Only at these store codes."""
    store_groups: list[Code] = Field(default_factory=list)
    """Only at stores in these groups."""


class When(_Model):
    """When a rule applies, in the merchant's local time. Empty means always."""

    days_of_week: list[Weekday] = Field(default_factory=list)
    """Only on these days (MON to SUN)."""
    time_from: time | None = None
    """From this time of day (HH:MM)."""
    time_to: time | None = None
    """Until this time of day (HH:MM)."""
    date_from: date | None = None
    """From this date (YYYY-MM-DD)."""
    date_to: date | None = None
    """Until this date, inclusive."""

    @model_validator(mode="after")
    def _ordered(self) -> When:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


class EarningRule(_Model):
    """Points per whole currency unit of eligible spend (after discounts)."""

    name: Name
    """The rule's name, shown in check results."""
    wallet: int = Field(gt=0)
    """The wallet the points go to."""
    per_currency: Quantity = Decimal(1)
    """Points per whole currency unit of eligible spend."""
    rounding: Literal["floor", "round", "ceil"] = "floor"
    """How the check's points are rounded to the wallet's scale: floor, round or ceil."""
    eligible: Eligibility = Field(default_factory=Eligibility)
    """Which lines earn."""
    when: When = Field(default_factory=When)
    """When the rule applies."""
    min_check: Money = Decimal(0)
    """The smallest eligible subtotal that earns."""
    cap_per_check: Quantity | None = None
    """Most points one check earns by this rule."""
    cap_per_day: Quantity | None = None
    """Most points one account earns by this rule per business day."""


class Multiplier(_Model):
    """Multiplies the points of matching lines (by category or item), or of the whole
    check (by tier, day or time). Multipliers that match the same line multiply."""

    name: Name
    """The multiplier's name."""
    factor: Annotated[Decimal, Field(gt=0, le=100)]
    """What the points are multiplied by (more than 0, at most 100)."""
    wallet: int | None = None  # None: every earning wallet
    """The earning wallet it multiplies (none: every earning wallet)."""
    eligible: Eligibility = Field(default_factory=Eligibility)
    """Which lines it multiplies (by item or category); empty: the whole check."""
    when: When = Field(default_factory=When)
    """When it applies."""
    tiers: list[int] = Field(default_factory=list)
    """Only for accounts in these tier codes."""


class Bonus(_Model):
    """A fixed number of points for buying an item, or for the first visit."""

    name: Name
    """The bonus's name."""
    wallet: int = Field(gt=0)
    """The wallet the bonus goes to."""
    quantity: Quantity
    """How much it gives."""
    items: list[Code] = Field(default_factory=list)
    """Given for buying any of these item ids."""
    first_visit: bool = False
    """Given on the account's first check."""
    when: When = Field(default_factory=When)
    """When it applies."""
    min_check: Money = Decimal(0)
    """The smallest subtotal that gets it."""

    @model_validator(mode="after")
    def _a_trigger(self) -> Bonus:
        if not self.items and not self.first_visit:
            raise ValueError("give items or first_visit: true")
        return self


class VisitRule(_Model):
    """Counts a visit per check of at least a subtotal."""

    name: Name = "Visit"
    """The rule's name."""
    wallet: int = Field(gt=0)
    """The wallet that counts visits."""
    min_subtotal: Money = Decimal(0)
    """The smallest subtotal that counts as a visit."""
    per_check: Quantity = Decimal(1)
    """How many visits one check counts."""


class Conversion(_Model):
    """Every ``threshold`` of ``from_wallet`` turns into ``quantity`` of ``to_wallet``."""

    name: Name
    """The conversion's name."""
    from_wallet: int = Field(gt=0)
    """The wallet converted from (points)."""
    threshold: Quantity
    """How much of from_wallet makes one conversion."""
    to_wallet: int = Field(gt=0)
    """The wallet converted to (a reward)."""
    quantity: Quantity = Decimal(1)
    """How much of to_wallet one conversion gives."""
    automatic: bool = True
    """Convert as soon as the threshold is reached (otherwise on request)."""
    on_reversal: Literal["claw_back", "refuse"] = "claw_back"
    """On reversing a check whose points were converted and the reward since spent: claw_back takes
    the points back instead; refuse refuses the reversal.
    """


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
    """What the discount takes off."""
    amount: Money | None = None
    """The amount off (for the amount_* kinds)."""
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    """The percentage off (for the percent_* kinds)."""
    eligible: Eligibility = Field(default_factory=Eligibility)
    """Lines an item reward may apply to."""
    min_subtotal: Money = Decimal(0)
    """The smallest subtotal it applies to."""
    max_per_check: int = Field(default=1, ge=1, le=100)
    """At most this many units of the reward on one check."""

    @model_validator(mode="after")
    def _value(self) -> RewardDefinition:
        needs_percent = self.kind in ("percent_off_subtotal", "percent_off_item")
        if needs_percent and self.percent is None:
            raise ValueError(f"{self.kind} needs percent")
        if not needs_percent and self.kind != "free_item" and self.amount is None:
            raise ValueError(f"{self.kind} needs amount")
        return self


class Reward(_Model):
    """What the units of a reward wallet are worth on a check."""

    wallet: int = Field(gt=0)
    """The reward wallet whose units are this reward."""
    definition: RewardDefinition
    """What one unit takes off a check."""
    expires_after_days: int | None = Field(default=None, gt=0)
    """Reward units expire this many days after they are earned (none: never)."""


class TierRule(_Model):
    """A tier and how accounts qualify for it; the highest tier qualified for applies."""

    code: int = Field(ge=0)
    """The tier code (tierCode in replies)."""
    name: Name
    """The tier's name."""
    points: Quantity | None = None
    """Qualifies with this many points earned in the window."""
    points_wallet: int | None = None
    """The wallet whose earned points count."""
    visits: Quantity | None = None
    """Qualifies with this many visits in the window."""
    visits_wallet: int | None = None
    """The wallet that counts visits."""
    spend: Money | None = None
    """Qualifies with this much spend in the window."""
    window_days: int = Field(default=365, ge=1, le=3650)
    """The rolling window, in days; any one threshold reached qualifies."""


class Coupon(_Model):
    """A coupon code and its discount."""

    id: int = Field(gt=0)
    """The coupon's id."""
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    """The code guests or cashiers enter (letters, digits, - and _; case does not matter)."""
    name: Name
    """The coupon's name."""
    definition: RewardDefinition
    """What the coupon takes off a check."""
    wallet: int | None = None
    """The wallet reported as the coupon's redeem wallet (coupon/validateCouponUsage)."""
    valid_from: date | None = None
    """First day it may be used."""
    valid_until: date | None = None
    """Last day it may be used."""
    stores: list[Code] = Field(default_factory=list)
    """Only at these store codes."""
    per_account_limit: int | None = Field(default=None, ge=1)
    """Uses per account."""
    max_uses: int | None = Field(default=None, ge=1)
    """Uses in all."""
    single_use: bool = False
    """A single-use code is used up by its first use, whoever uses it."""


class CampaignEvent(_Model):
    """A 'click to load' reward (campaignfeedback.yaml)."""

    id: Code
    """The event's id, as campaign codes and calls name it."""
    name: Name
    """The event's name."""
    wallet: int = Field(gt=0)
    """The wallet the reward goes to."""
    quantity: Quantity
    """How much it loads."""
    store: Code = "corp"
    """The store the load is recorded at."""
    expires_after_days: int | None = Field(default=None, gt=0)
    """The loaded value expires this many days later (none: never)."""
    templates: list[int] = Field(default_factory=list)
    """Card templates whose accounts may load it; empty: every template."""


class LoyaltyConfig(_Model):
    """The earning and rewards rules of the program (evaluated on posted checks)."""

    earning: list[EarningRule] = Field(default_factory=list)
    """Points per currency unit of eligible spend."""
    multipliers: list[Multiplier] = Field(default_factory=list)
    """Factors on earned points by item, category, tier, day or time."""
    bonuses: list[Bonus] = Field(default_factory=list)
    """Fixed points for items or the first visit."""
    visits: list[VisitRule] = Field(default_factory=list)
    """Visits counted per check."""
    conversions: list[Conversion] = Field(default_factory=list)
    """Points that turn into rewards."""
    rewards: list[Reward] = Field(default_factory=list)
    """What each reward wallet's units take off a check."""
    tiers: list[TierRule] = Field(default_factory=list)
    """Tiers and how accounts qualify for them."""
    coupons: list[Coupon] = Field(default_factory=list)
    """Coupon codes and their discounts."""
    events: list[CampaignEvent] = Field(default_factory=list)
    """Click-to-load rewards (campaign feedback)."""
    campaign_key: Annotated[str, Field(min_length=40, max_length=64)] | None = None
    """Base64 key (32 bytes) for encrypted campaign codes (campaignfeedback)."""

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

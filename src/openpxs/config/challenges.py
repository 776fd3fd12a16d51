"""Challenges (the ``challenges`` section): time-boxed goals that pay a reward.

A challenge says who may take part (its audience), when it runs (once, or every week or
month in the merchant's time zone), whether guests must opt in, what counts towards it
(visits, spend, distinct stores, items or points from posted checks), what completing
it pays (wallet value, a badge, a donation to a charity the guest picked) and how many
times one account may complete it. ``domain.challenges`` holds the rules that read it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openpxs.config.loyalty import Eligibility

Name = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Url = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^https?://")]
# No dots: an occurrence code is the challenge code, a dot and the local start date.
ChallengeCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Amount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]
Measure = Literal["visits", "spend", "stores", "items", "points"]
Repeat = Literal["none", "weekly", "monthly"]
Kind = Literal["individual", "group"]
GroupPayout = Literal["each_member", "contributors"]


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ChallengeAudience(_Model):
    """Who may take part. Every condition given must hold; none given: every account."""

    tiers: list[int] = Field(default_factory=list)
    """Only accounts in one of these tier codes."""
    enrolled_after: date | None = None
    """Only accounts enrolled (registered, else activated) on or after this local date."""
    cards: list[Annotated[str, Field(pattern=r"^[0-9]{1,64}$")]] = Field(default_factory=list)
    """Only the accounts of these printed card numbers (in quotes)."""

    @field_validator("cards", mode="before")
    @classmethod
    def _quoted_numbers(cls, value: object) -> object:
        if isinstance(value, list) and any(isinstance(v, int) for v in value):
            raise ValueError("write card numbers in quotes: they are text, not numbers")
        return value


class ChallengeSchedule(_Model):
    """When the challenge runs, in the merchant's local time."""

    start: datetime
    """Local date and time the first occurrence starts (YYYY-MM-DDTHH:MM, no time zone)."""
    end: datetime | None = None
    """Local date and time a one-off challenge ends; not given for a recurring one."""
    repeat: Repeat = "none"
    """none (one occurrence from start to end), weekly (7-day occurrences from start) or
    monthly (calendar-month occurrences from start's day and time)."""
    until: date | None = None
    """Recurring: the last local day an occurrence may start (none: it keeps recurring)."""
    opt_in_from: datetime | None = None
    """Local date and time guests may start opting in to an occurrence that has not started;
    none: from its start."""

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSchedule:
        for name in ("start", "end", "opt_in_from"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is not None:
                raise ValueError(f"{name} is a local time: write it without a time zone")
        if self.repeat == "none":
            if self.end is None:
                raise ValueError("a one-off challenge needs an end")
            if self.end <= self.start:
                raise ValueError("end must be after start")
            if self.until is not None:
                raise ValueError("until is for recurring challenges only")
        elif self.end is not None:
            raise ValueError("a recurring challenge has no end: each occurrence lasts its period")
        elif self.until is not None and self.until < self.start.date():
            raise ValueError("until is before start")
        if self.opt_in_from is not None and self.opt_in_from > self.start:
            raise ValueError("opt_in_from must not be after start")
        return self


class ChallengeGoal(_Model):
    """What counts towards the challenge, from posted checks."""

    measure: Measure
    """visits (checks), spend (amount paid for eligible items), stores (distinct stores with an
    eligible check), items (quantity of eligible items) or points (earned into wallet)."""
    target: Amount
    """The count or amount that completes an occurrence."""
    eligible: Eligibility = Field(default_factory=Eligibility)
    """The lines and stores that count; empty: every line at every store."""
    wallet: int | None = None
    """points: the wallet whose earnings count."""
    min_spend: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    """visits and stores: a check counts only with at least this eligible spend."""

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeGoal:
        if self.measure == "points" and self.wallet is None:
            raise ValueError("a points goal names the wallet whose earnings count")
        if self.measure != "points" and self.wallet is not None:
            raise ValueError("wallet is for points goals only")
        if self.min_spend is not None and self.measure not in ("visits", "stores"):
            raise ValueError("min_spend is for visits and stores goals only")
        if self.measure in ("visits", "stores") and self.target != self.target.to_integral_value():
            raise ValueError(f"a {self.measure} target is a whole number")
        return self


class Badge(_Model):
    """A badge shown on the guest's completed challenges."""

    code: Code
    """The badge's code."""
    name: Name
    """The badge's name."""
    image_url: Url | None = None
    """Image of the badge (reported as badgeImageUrl)."""


class ChallengeReward(_Model):
    """What completing an occurrence pays: any of wallet value, a badge and a donation."""

    description: Text | None = None
    """Reported as rewardDescription."""
    wallet: int | None = None
    """The wallet credited through the ledger."""
    quantity: Amount | None = None
    """How much the wallet is credited."""
    expires_after_days: int | None = Field(default=None, gt=0)
    """The credited value expires this many days later (none: the wallet's default)."""
    badge: Badge | None = None
    """A badge the guest earns."""
    donation: Amount | None = None
    """An amount the merchant donates to the charity the guest chose when opting in."""

    @model_validator(mode="after")
    def _something(self) -> ChallengeReward:
        if (self.wallet is None) != (self.quantity is None):
            raise ValueError("give wallet and quantity together")
        if self.wallet is None and self.badge is None and self.donation is None:
            raise ValueError("a reward pays wallet value, a badge or a donation")
        if self.expires_after_days is not None and self.wallet is None:
            raise ValueError("expires_after_days is for wallet rewards only")
        return self


class Charity(_Model):
    """A charitable organization a challenge can donate to."""

    code: Code
    """The code guests send as charitableOrganizationCode."""
    name: Name
    """The charity's name."""
    description: Text | None = None
    """A longer description."""
    image_url: Url | None = None
    """The charity's logo."""


class Challenge(_Model):
    """A challenge guests take part in (challenge.yaml)."""

    code: ChallengeCode
    """The challenge's code (challengeCode): letters, digits, - and _."""
    name: Name
    """The challenge's name."""
    description: Text | None = None
    """What the guest has to do, shown to guests."""
    image_url: Url | None = None
    """The challenge's picture."""
    audience: ChallengeAudience = Field(default_factory=ChallengeAudience)
    """Who may take part."""
    schedule: ChallengeSchedule
    """When it runs."""
    opt_in: bool = True
    """Whether guests must opt in; false: every account in the audience takes part."""
    goal: ChallengeGoal
    """What completes an occurrence."""
    reward: ChallengeReward
    """What completing an occurrence pays."""
    charities: list[Charity] = Field(default_factory=list)
    """Charities guests choose from when the reward is a donation."""
    max_completions: int | None = Field(default=None, ge=1)
    """How many occurrences one account (a group, for a group challenge) may complete in
    all (none: each occurrence once)."""
    max_total_completions: int | None = Field(default=None, ge=1)
    """How many completions the challenge pays in all, across every account (or group)
    and every occurrence; none: no such cap."""
    kind: Kind = "individual"
    """individual (each account on its own) or group (a social group together: progress
    is the sum of what its members post while they are members)."""
    group_payout: GroupPayout = "each_member"
    """Group challenges: who is paid when the group completes an occurrence: each_member
    (everyone in the group at that moment) or contributors (members whose activity
    counted towards it)."""
    store: Annotated[str, Field(min_length=1, max_length=64)] = "corp"
    """The store reward transactions are recorded at."""

    @model_validator(mode="after")
    def _consistent(self) -> Challenge:
        codes = [c.code for c in self.charities]
        if len(set(codes)) != len(codes):
            raise ValueError("a charity code is listed twice")
        if self.reward.donation is not None:
            if not self.charities:
                raise ValueError("a donation reward needs charities to choose from")
            if not self.opt_in:
                raise ValueError("a donation reward needs opt_in: the guest picks the charity")
        elif self.charities:
            raise ValueError("charities are for donation rewards only")
        if self.kind == "group":
            if self.reward.donation is not None:
                raise ValueError("a group challenge pays wallet value or a badge, no donation")
            if self.audience != ChallengeAudience():
                raise ValueError("a group challenge is open to every group: it has no audience")
        elif self.group_payout != "each_member":
            raise ValueError("group_payout is for group challenges only")
        return self

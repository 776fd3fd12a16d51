"""One merchant's program configuration, as written in its YAML file.

The models check each value on its own; ``MerchantConfig`` then checks the file as a
whole (unique codes, references to declared programs and templates, overlapping card
ranges) and reports every such problem with the path of the offending field.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from openpxs.config.guest import EnrollmentConfig, GuestConfig
from openpxs.config.loyalty import LoyaltyConfig
from openpxs.domain.program import PROGRAM_CODES_ALL

Loc = tuple[str | int, ...]

# Must match openpxs.domain.program.WALLET_KINDS (a test holds them together).
WalletKind = Literal["currency", "points", "reward", "count"]
IntegrationStyle = Literal["anonymous", "card", "guest", "email", "b2b", "oauth"]


def _quoted(value: object) -> object:
    # YAML reads unquoted digits as a number and drops leading zeros (or reads them as
    # octal), so a code that is really a string must be written in quotes.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write this value in quotes, e.g. '{value}': it is text, not a number")
    return value


def _digits(value: str) -> str:
    if not (value.isascii() and value.isdigit()) or len(value) > 64:
        raise ValueError("must be 1 to 64 digits")
    return value


def _alnum(value: str) -> str:
    if not (value.isascii() and value.isalnum()) or len(value) > 64:
        raise ValueError("must be 1 to 64 letters or digits")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200)]
QuotedCode = Annotated[str, BeforeValidator(_quoted), Field(min_length=1, max_length=64)]
ProgramCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,7}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Merchant(_Model):
    id: int = Field(gt=0)
    name: Name
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class ProgramConfig(_Model):
    code: ProgramCode
    name: Name

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == PROGRAM_CODES_ALL:
            raise ValueError(f"{PROGRAM_CODES_ALL!r} is reserved: it addresses every program")
        return value


class CardTemplateConfig(_Model):
    code: int = Field(ge=0)
    name: Name
    programs: list[ProgramCode] = Field(min_length=1)
    # The registration form; a template without one takes only a username and password.
    enrollment: EnrollmentConfig = Field(default_factory=EnrollmentConfig)


class WalletPos(_Model):
    """Hints a POS integration uses to map a wallet onto its own items and discounts."""

    value_amount: Decimal | None = None
    pos_item_id: str | None = None
    discount_object_number: int | None = None
    reward_type: int | None = None
    product_type: int | None = None
    product_id: int | None = None

    @field_validator("value_amount", mode="before")
    @classmethod
    def _amount_as_text(cls, value: object) -> object:
        # A YAML float such as 5.10 has already lost its written form; insist on text.
        if isinstance(value, float):
            raise ValueError(f"write the amount in quotes, e.g. '{value:.2f}'")
        return value

    @field_validator("value_amount")
    @classmethod
    def _amount_exact(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite() or value < 0:
            raise ValueError("must be a finite amount, zero or more")
        if value != value.quantize(Decimal("0.0001")):
            raise ValueError("must have at most 4 decimal places")
        return value

    def as_json(self) -> dict[str, object]:
        """The camelCase mapping stored in ``wallets.pos``; absent hints are left out."""
        camel = {
            "value_amount": "valueAmount",
            "pos_item_id": "posItemId",
            "discount_object_number": "discountObjectNumber",
            "reward_type": "rewardType",
            "product_type": "productType",
            "product_id": "productId",
        }
        out: dict[str, object] = {}
        for field, key in camel.items():
            value = getattr(self, field)
            if value is not None:
                out[key] = str(value) if isinstance(value, Decimal) else value
        return out


class WalletConfig(_Model):
    code: int = Field(gt=0)
    name: Name
    description: Annotated[str, Field(max_length=500)] | None = None
    kind: WalletKind
    scale: int = Field(ge=0, le=4)
    program: ProgramCode
    allow_negative: bool = False
    default_expiration_days: int | None = Field(default=None, gt=0)
    giftable: bool = False
    pos: WalletPos | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_scale(cls, data: Any) -> Any:
        # Money shows cents; points, rewards and visits are whole numbers.
        if isinstance(data, dict) and "scale" not in data:
            return {**data, "scale": 2 if data.get("kind") == "currency" else 0}
        return data


class Address(_Model):
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: Annotated[str, BeforeValidator(_quoted)] | None = None
    country: str | None = None

    def as_json(self) -> dict[str, str]:
        camel = {
            "address1": "address1",
            "address2": "address2",
            "city": "city",
            "state_province": "stateProvince",
            "postal_code": "postalCode",
            "country": "country",
        }
        return {key: getattr(self, f) for f, key in camel.items() if getattr(self, f) is not None}


class StoreConfig(_Model):
    code: QuotedCode
    name: Name
    address: Address = Field(default_factory=Address)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)
    groups: list[Annotated[str, BeforeValidator(_quoted), Field(min_length=1)]] = Field(
        default_factory=list
    )


class IntegrationConfig(_Model):
    identifier: Annotated[str, Field(min_length=1, max_length=200)]
    name: Name
    styles: list[IntegrationStyle] = Field(min_length=1)
    secret: Annotated[str, Field(min_length=8)] | None = None
    secret_hash: Annotated[str, Field(pattern=r"^\$argon2", max_length=200)] | None = None
    enabled: bool = True

    @field_validator("styles")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a style is listed twice")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> IntegrationConfig:
        if (self.secret is None) == (self.secret_hash is None):
            raise ValueError("give exactly one of secret or secret_hash")
        return self


class CardRangeConfig(_Model):
    template: int = Field(ge=0)
    start: Annotated[str, BeforeValidator(_quoted), AfterValidator(_digits)]
    count: int = Field(ge=1, le=10_000_000)
    registration_code: Annotated[str, BeforeValidator(_quoted), AfterValidator(_alnum)] | None = (
        None
    )

    @model_validator(mode="after")
    def _fits_width(self) -> CardRangeConfig:
        if len(str(self.last)) > len(self.start):
            raise ValueError(
                f"the range runs past {'9' * len(self.start)}: card numbers would grow longer"
            )
        return self

    @property
    def first(self) -> int:
        return int(self.start)

    @property
    def last(self) -> int:
        return int(self.start) + self.count - 1


class CrossCheckError(ValueError):
    """Problems between fields of the file, each with the path of the field at fault."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg in problems))
        self.problems = problems


def format_loc(loc: Loc) -> str:
    """``("wallets", 2, "scale")`` -> ``wallets[2].scale``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _duplicates(loc: Loc, keys: Iterable[object], what: str) -> list[tuple[Loc, str]]:
    seen: dict[object, int] = {}
    problems: list[tuple[Loc, str]] = []
    for i, key in enumerate(keys):
        if key in seen:
            first = format_loc((*loc, seen[key]))
            problems.append(((*loc, i), f"{what} {key!r} is already used by {first}"))
        else:
            seen[key] = i
    return problems


class MerchantConfig(_Model):
    merchant: Merchant
    programs: list[ProgramConfig] = Field(min_length=1)
    card_templates: list[CardTemplateConfig] = Field(default_factory=list)
    wallets: list[WalletConfig] = Field(default_factory=list)
    stores: list[StoreConfig] = Field(default_factory=list)
    integrations: list[IntegrationConfig] = Field(default_factory=list)
    card_ranges: list[CardRangeConfig] = Field(default_factory=list)
    guest: GuestConfig = Field(default_factory=GuestConfig)
    loyalty: LoyaltyConfig = Field(default_factory=LoyaltyConfig)

    @model_validator(mode="after")
    def _cross_check(self) -> MerchantConfig:
        problems = self.cross_problems()
        if problems:
            raise CrossCheckError(problems)
        return self

    def cross_problems(self) -> list[tuple[Loc, str]]:
        problems = [
            *_duplicates(("programs",), (p.code for p in self.programs), "program code"),
            *_duplicates(("card_templates",), (t.code for t in self.card_templates), "code"),
            *_duplicates(("wallets",), (w.code for w in self.wallets), "wallet code"),
            *_duplicates(("stores",), (s.code for s in self.stores), "store code"),
            *_duplicates(
                ("integrations",), (i.identifier for i in self.integrations), "identifier"
            ),
        ]
        declared = {p.code for p in self.programs}
        for i, template in enumerate(self.card_templates):
            problems += _duplicates(("card_templates", i, "programs"), template.programs, "program")
            for j, code in enumerate(template.programs):
                if code not in declared:
                    problems.append(
                        (("card_templates", i, "programs", j), f"program {code!r} is not declared")
                    )
        for i, wallet in enumerate(self.wallets):
            if wallet.program not in declared:
                problems.append(
                    (("wallets", i, "program"), f"program {wallet.program!r} is not declared")
                )
        wallet_codes = {w.code for w in self.wallets}
        for loc, wallet_code in self.loyalty.wallet_references():
            if wallet_code not in wallet_codes:
                problems.append((("loyalty", *loc), f"wallet {wallet_code} is not declared"))
        store_codes = {s.code for s in self.stores}
        for i, event in enumerate(self.loyalty.events):
            if event.store not in store_codes:
                problems.append(
                    (("loyalty", "events", i, "store"), f"store {event.store!r} is not declared")
                )
        templates = {t.code for t in self.card_templates}
        for i, card_range in enumerate(self.card_ranges):
            if card_range.template not in templates:
                problems.append(
                    (
                        ("card_ranges", i, "template"),
                        f"card template {card_range.template} is not declared",
                    )
                )
            for j, other in enumerate(self.card_ranges[:i]):
                # Numbers of different widths are different printed numbers.
                if len(other.start) == len(card_range.start) and (
                    card_range.first <= other.last and other.first <= card_range.last
                ):
                    problems.append((("card_ranges", i), f"overlaps card_ranges[{j}]"))
        return problems

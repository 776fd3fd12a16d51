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

from openpxs.config.challenges import Challenge
from openpxs.config.console import ConsoleConfig
from openpxs.config.guest import EnrollmentConfig, GuestConfig
from openpxs.config.loyalty import LoyaltyConfig
from openpxs.config.outreach import OutreachConfig
from openpxs.config.payments import PaymentsConfig
from openpxs.config.places import PlacesConfig
from openpxs.config.social_groups import SocialGroupConfig
from openpxs.config.surveys import SurveyConfig
from openpxs.config.wallet_passes import WalletPassesConfig
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
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Merchant(_Model):
    """The merchant: its id, name and time zone."""

    id: int = Field(gt=0)
    """The merchant id clients send as merchantId; unique on the server."""
    name: Name
    """The merchant's name, as shown to guests."""
    timezone: str
    """IANA time zone (e.g. America/New_York) of the merchant's business day: expiry dates,
    day-of-week rules and daily caps are counted in it.
    """

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


class ProgramConfig(_Model):
    """A program: stored value (SV), loyalty (LP), ... Cards and wallets belong to programs."""

    code: ProgramCode
    """Program code clients send as programId: 1 to 8 capital letters or digits, starting with a
    letter (SV, LP, ...). ALL is reserved.
    """
    name: Name
    """The program's name."""

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == PROGRAM_CODES_ALL:
            raise ValueError(f"{PROGRAM_CODES_ALL!r} is reserved: it addresses every program")
        return value


class CardTemplateConfig(_Model):
    """A kind of card: the programs it takes part in and its registration form."""

    code: int = Field(ge=0)
    """Template code, as printed cards and enrollment calls name it (cardTemplateCode)."""
    name: Name
    """The template's name."""
    programs: list[ProgramCode] = Field(min_length=1)
    """Codes of the programs a card of this template takes part in."""
    enrollment: EnrollmentConfig = Field(default_factory=EnrollmentConfig)
    """The registration form; a template without one takes only a username and password."""


class WalletPos(_Model):
    """Hints a POS integration uses to map a wallet onto its own items and discounts."""

    value_amount: Decimal | None = None
    """Currency value of one unit (e.g. '5.00' for a $5 reward), in quotes."""
    pos_item_id: str | None = None
    """The POS menu item that stands for this wallet."""
    discount_object_number: int | None = None
    """The POS discount that applies this wallet."""
    reward_type: int | None = None
    """The POS's reward type number."""
    product_type: int | None = None
    """The POS's product type number."""
    product_id: int | None = None
    """The POS's product id."""

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


def _scale_is_optional(schema: dict[str, Any]) -> None:
    # The scale has a default that depends on the kind (_default_scale below), which
    # the schema cannot say; it must not tell editors the field is required.
    schema["required"] = [name for name in schema.get("required", []) if name != "scale"]


class WalletConfig(_Model):
    """A balance an account holds: money, points, reward units or visits."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        json_schema_extra=_scale_is_optional,
    )

    code: int = Field(gt=0)
    """Wallet code, as calls name it (walletCode)."""
    name: Name
    """The wallet's name."""
    description: Annotated[str, Field(max_length=500)] | None = None
    """A longer description shown to guests."""
    kind: WalletKind
    """currency (stored value), points, reward (units of a reward) or count (visits and the like).
    """
    scale: int = Field(ge=0, le=4)
    """Decimal places of a balance: 0 to 4. Defaults to 2 for currency and 0 otherwise."""
    program: ProgramCode
    """Code of the program the wallet belongs to."""
    allow_negative: bool = False
    """Whether a redemption may take the balance below zero."""
    default_expiration_days: int | None = Field(default=None, gt=0)
    """Value added without an expiry of its own expires this many days later (none: never)."""
    giftable: bool = False
    """Whether guests may give this wallet's value to another card."""
    pos: WalletPos | None = None
    """Hints a POS integration uses to map the wallet onto its own items and discounts."""

    @model_validator(mode="before")
    @classmethod
    def _default_scale(cls, data: Any) -> Any:
        # Money shows cents; points, rewards and visits are whole numbers.
        if isinstance(data, dict) and "scale" not in data:
            return {**data, "scale": 2 if data.get("kind") == "currency" else 0}
        return data


class Address(_Model):
    """A postal address."""

    address1: str | None = None
    """First address line."""
    address2: str | None = None
    """Second address line."""
    city: str | None = None
    """City."""
    state_province: str | None = None
    """State or province."""
    postal_code: Annotated[str, BeforeValidator(_quoted)] | None = None
    """Postal code, in quotes."""
    country: str | None = None
    """Country (ISO 3166 code, e.g. US)."""

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
    """A store of the merchant; every call names the store it comes from."""

    code: QuotedCode
    """Store code clients send as storeCode, in quotes ("1001"). A store named corp is the usual
    home of head-office and online activity.
    """
    name: Name
    """The store's name."""
    address: Address = Field(default_factory=Address)
    """The store's address, shown to guests."""
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    """Latitude in degrees, for store locators."""
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)
    """Longitude in degrees, for store locators."""
    groups: list[Annotated[str, BeforeValidator(_quoted), Field(min_length=1)]] = Field(
        default_factory=list
    )
    """Groups the store belongs to, for rules that apply to a group of stores."""
    phone: (
        Annotated[str, BeforeValidator(_quoted), Field(pattern=r"^[0-9+() .-]{3,32}$")] | None
    ) = None
    """The store's phone number, in quotes (sent to apps as digits only)."""
    hours: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """Opening hours as guests read them, e.g. "M-F: 9-5, Sat: 8-8, Sun: closed"."""
    metadata: list[dict[Annotated[str, Field(min_length=1, max_length=64)], bool | int | str]] = (
        Field(default_factory=list, max_length=50)
    )
    """Attributes of the store for apps, each a one-key map, e.g. [{hasDriveThru: true}]."""

    @model_validator(mode="after")
    def _both_coordinates(self) -> StoreConfig:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self

    def phone_digits(self) -> str | None:
        return None if self.phone is None else "".join(c for c in self.phone if c.isdigit())


class IntegrationConfig(_Model):
    """A client allowed to call the API, with its credentials and authentication styles."""

    identifier: Annotated[str, Field(min_length=1, max_length=200)]
    """The integration's user name in HTTP Basic credentials; unique on the server."""
    name: Name
    """The integration's name (a POS, an app, a website back end)."""
    styles: list[IntegrationStyle] = Field(min_length=1)
    """Authentication styles it may use: b2b (POS and back office), anonymous, card, guest, email,
    oauth (guest-facing apps).
    """
    secret: Annotated[str, Field(min_length=8)] | None = None
    """The secret in clear (8 characters or more); stored only as an argon2 hash. Give exactly one
    of secret and secret_hash.
    """
    secret_hash: Annotated[str, Field(pattern=r"^\$argon2", max_length=200)] | None = None
    """The argon2 hash of the secret, for files that must not hold it in clear."""
    enabled: bool = True
    """A disabled integration's calls are refused."""

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
    """Consecutive inactive cards to issue; numbers that already exist are skipped."""

    template: int = Field(ge=0)
    """Code of the card template the cards are issued under."""
    start: Annotated[str, BeforeValidator(_quoted), AfterValidator(_digits)]
    """First printed card number, in quotes; the numbers keep its width."""
    count: int = Field(ge=1, le=10_000_000)
    """How many consecutive numbers to issue (1 to 10,000,000)."""
    registration_code: Annotated[str, BeforeValidator(_quoted), AfterValidator(_alnum)] | None = (
        None
    )
    """Registration code printed on every card of the range (letters or digits), asked when a guest
    registers the card.
    """

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
    """One merchant's program file: `openpxs config validate FILE` checks it and
    `openpxs config apply FILE` loads it."""

    merchant: Merchant
    """Who the merchant is."""
    programs: list[ProgramConfig] = Field(min_length=1)
    """The programs (at least one): stored value, loyalty, ..."""
    card_templates: list[CardTemplateConfig] = Field(default_factory=list)
    """Kinds of card, each with its programs and registration form."""
    wallets: list[WalletConfig] = Field(default_factory=list)
    """What balances an account holds: money, points, rewards, visits."""
    stores: list[StoreConfig] = Field(default_factory=list)
    """The merchant's stores."""
    integrations: list[IntegrationConfig] = Field(default_factory=list)
    """The clients allowed to call: POS systems, apps, website back ends, each with its
    credentials.
    """
    card_ranges: list[CardRangeConfig] = Field(default_factory=list)
    """Inactive cards to issue when the file is applied; numbers that already exist are skipped."""
    guest: GuestConfig = Field(default_factory=GuestConfig)
    """Guest-facing settings: perks, sign-in protection, token lifetimes, messages."""
    loyalty: LoyaltyConfig = Field(default_factory=LoyaltyConfig)
    """Earning and reward rules, tiers, coupons and campaign events."""
    payments: PaymentsConfig = Field(default_factory=PaymentsConfig)
    """Card payments: the processor (secrets by reference) and recharge limits."""
    surveys: list[SurveyConfig] = Field(default_factory=list)
    """Guest surveys: window, audience, questions and the reward a response pays."""
    places: PlacesConfig = Field(default_factory=PlacesConfig)
    """Where the stores are and what guests do there: store groups for the store locator,
    check-ins, geofence regions, tours, and the geocoder."""
    challenges: list[Challenge] = Field(default_factory=list)
    """Time-boxed goals guests opt in to (or take part in automatically) for a reward."""
    social_groups: SocialGroupConfig | None = None
    """Groups guests form with friends; without this section guests cannot create groups."""
    outreach: OutreachConfig = Field(default_factory=OutreachConfig)
    """Reaching guests: marketing e-mail templates, the One To One visit cadence and the
    content sets of mobile apps."""
    wallet_passes: WalletPassesConfig = Field(default_factory=WalletPassesConfig)
    """Apple Wallet and Google Wallet passes of the merchant's cards."""
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    """The operator console: what it asks of the staff who sign in."""

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
        problems += self._payment_problems(store_codes)
        problems += self._survey_problems(wallet_codes, store_codes)
        problems += self._place_problems()
        problems += self._commerce_problems(store_codes)
        problems += self._challenge_problems(wallet_codes, store_codes)
        problems += self._outreach_problems()
        problems += self._website_problems(store_codes)
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

    def _survey_problems(
        self, wallet_codes: set[int], store_codes: set[str]
    ) -> list[tuple[Loc, str]]:
        problems = _duplicates(("surveys",), (s.code for s in self.surveys), "survey code")
        templates = {t.code for t in self.card_templates}
        for i, survey in enumerate(self.surveys):
            for j, template in enumerate(survey.audience.templates):
                if template not in templates:
                    problems.append(
                        (
                            ("surveys", i, "audience", "templates", j),
                            f"card template {template} is not declared",
                        )
                    )
            reward = survey.reward
            if reward is None:
                continue
            loc: Loc = ("surveys", i, "reward")
            if reward.wallet not in wallet_codes:
                problems.append(((*loc, "wallet"), f"wallet {reward.wallet} is not declared"))
            if reward.store not in store_codes:
                problems.append(((*loc, "store"), f"store {reward.store!r} is not declared"))
        return problems

    def _place_problems(self) -> list[tuple[Loc, str]]:
        places = self.places
        problems = [
            *_duplicates(("places", "store_groups"), (g.code for g in places.store_groups), "code"),
            *_duplicates(("places", "store_groups"), (g.name for g in places.store_groups), "name"),
            *_duplicates(("places", "tours"), (t.code for t in places.tours), "tour code"),
        ]
        for i, store in enumerate(self.stores):
            for j, metadata in enumerate(store.metadata):
                if len(metadata) != 1:
                    problems.append(
                        (("stores", i, "metadata", j), "each entry is a map of exactly one key")
                    )
        return problems

    def _outreach_problems(self) -> list[tuple[Loc, str]]:
        outreach = self.outreach
        problems = _duplicates(
            ("outreach", "marketing", "templates"),
            (t.code for t in outreach.marketing.templates),
            "template code",
        )
        problems += _duplicates(
            ("outreach", "webhooks"), (w.name for w in outreach.webhooks), "webhook name"
        )
        identifiers = {i.identifier for i in self.integrations}
        seen: dict[tuple[str, str], int] = {}
        for i, app in enumerate(outreach.mobile_apps):
            for j, identifier in enumerate(app.integrations):
                if identifier not in identifiers:
                    problems.append(
                        (
                            ("outreach", "mobile_apps", i, "integrations", j),
                            f"integration {identifier!r} is not declared",
                        )
                    )
            for identifier in app.integrations or ["*"]:
                key = (app.app_id, identifier)
                if key in seen:
                    problems.append(
                        (
                            ("outreach", "mobile_apps", i, "app_id"),
                            f"app {app.app_id!r} is already set by mobile_apps[{seen[key]}]",
                        )
                    )
                seen.setdefault(key, i)
        cadence = outreach.one_to_one
        if cadence is not None:
            loc: Loc = ("outreach", "one_to_one")
            counts = {w.code for w in self.wallets if w.kind == "count"}
            if cadence.visit_wallet not in counts:
                problems.append(
                    ((*loc, "visit_wallet"), f"wallet {cadence.visit_wallet} is not a count wallet")
                )
            templates = {t.code for t in self.card_templates}
            for j, template in enumerate(cadence.card_templates):
                if template not in templates:
                    problems.append(
                        ((*loc, "card_templates", j), f"card template {template} is not declared")
                    )
        return problems

    def _website_problems(self, store_codes: set[str]) -> list[tuple[Loc, str]]:
        """The site signs in as a declared oauth integration, joins guests to a declared
        template at a declared store, and hands guests only to declared integrations."""
        site = self.guest.website
        if site is None:
            return []
        loc: Loc = ("guest", "website")
        styles = {i.identifier: i.styles for i in self.integrations}
        problems: list[tuple[Loc, str]] = []
        if "oauth" not in styles.get(site.integration, []):
            problems.append(
                (
                    (*loc, "integration"),
                    f"integration {site.integration!r} with the oauth style is not declared",
                )
            )
        if site.card_template not in {t.code for t in self.card_templates}:
            problems.append(
                ((*loc, "card_template"), f"card template {site.card_template} is not declared")
            )
        if site.store is not None and site.store not in store_codes:
            problems.append(((*loc, "store"), f"store {site.store!r} is not declared"))
        for i, client in enumerate(site.sso):
            if client.integration not in styles:
                problems.append(
                    (
                        (*loc, "sso", i, "integration"),
                        f"integration {client.integration!r} is not declared",
                    )
                )
        return problems

    def _challenge_problems(
        self, wallet_codes: set[int], store_codes: set[str]
    ) -> list[tuple[Loc, str]]:
        problems = _duplicates(("challenges",), (c.code for c in self.challenges), "code")
        tiers = {t.code for t in self.loyalty.tiers}
        points = {w.code for w in self.wallets if w.kind == "points"}
        for i, challenge in enumerate(self.challenges):
            loc: Loc = ("challenges", i)
            if challenge.store not in store_codes:
                problems.append(((*loc, "store"), f"store {challenge.store!r} is not declared"))
            for j, tier in enumerate(challenge.audience.tiers):
                if tier not in tiers:
                    problems.append(
                        ((*loc, "audience", "tiers", j), f"tier {tier} is not declared")
                    )
            wallet = challenge.reward.wallet
            if wallet is not None and wallet not in wallet_codes:
                problems.append(((*loc, "reward", "wallet"), f"wallet {wallet} is not declared"))
            goal_wallet = challenge.goal.wallet
            if goal_wallet is not None and goal_wallet not in points:
                problems.append(
                    ((*loc, "goal", "wallet"), f"wallet {goal_wallet} is not a points wallet")
                )
        return problems

    def _payment_problems(self, store_codes: set[str]) -> list[tuple[Loc, str]]:
        problems = self._sale_problems(store_codes)
        recharge = self.payments.recharge
        if recharge is None:
            return problems
        loc: Loc = ("payments", "recharge")
        wallet = next((w for w in self.wallets if w.code == recharge.wallet), None)
        if wallet is None:
            problems.append(((*loc, "wallet"), f"wallet {recharge.wallet} is not declared"))
        elif wallet.kind != "currency":
            problems.append(((*loc, "wallet"), f"wallet {recharge.wallet} is not a currency"))
        if recharge.store not in store_codes:
            problems.append(((*loc, "store"), f"store {recharge.store!r} is not declared"))
        return problems

    def _sale_problems(self, store_codes: set[str]) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        templates = {t.code for t in self.card_templates}
        wallets = {w.code: w for w in self.wallets}
        for i, sale in enumerate(self.payments.sales):
            loc: Loc = ("payments", "sales", i)
            if sale.card_template not in templates:
                problems.append(
                    ((*loc, "card_template"), f"card template {sale.card_template} is not declared")
                )
            for j, code in enumerate(sale.offered_to):
                if code not in templates:
                    problems.append(
                        ((*loc, "offered_to", j), f"card template {code} is not declared")
                    )
            if sale.wallet is not None:
                wallet = wallets.get(sale.wallet)
                if wallet is None:
                    problems.append(((*loc, "wallet"), f"wallet {sale.wallet} is not declared"))
                elif wallet.kind != "currency":
                    problems.append(((*loc, "wallet"), f"wallet {sale.wallet} is not a currency"))
            if sale.points_wallet is not None:
                problems += self._points_problems(loc, sale.points_wallet, sale.offered_to)
            if sale.store not in store_codes:
                problems.append(((*loc, "store"), f"store {sale.store!r} is not declared"))
        return problems

    def _points_problems(
        self, loc: Loc, wallet_code: int, offered_to: list[int]
    ) -> list[tuple[Loc, str]]:
        """A program paid with points names a points wallet that every guest it is
        offered to holds."""
        points = next((w for w in self.wallets if w.code == wallet_code), None)
        if points is None or points.kind != "points":
            return [((*loc, "points_wallet"), f"wallet {wallet_code} is not a points wallet")]
        if not offered_to:
            return [((*loc, "offered_to"), "list the card templates whose guests hold the points")]
        programs = {t.code: t.programs for t in self.card_templates}
        return [
            ((*loc, "offered_to", j), f"card template {code} has no wallet {wallet_code}")
            for j, code in enumerate(offered_to)
            if code in programs and points.program not in programs[code]
        ]

    def _commerce_problems(self, store_codes: set[str]) -> list[tuple[Loc, str]]:
        """Gifts and subscription plans name wallets, templates and stores that exist."""
        problems: list[tuple[Loc, str]] = []
        wallets = {w.code: w for w in self.wallets}
        templates = {t.code for t in self.card_templates}
        gifts: Loc = ("payments", "gift_transfer", "rewards")
        problems += _duplicates(
            gifts, (r.wallet for r in self.payments.gift_transfer.rewards), "wallet"
        )
        for i, reward in enumerate(self.payments.gift_transfer.rewards):
            wallet = wallets.get(reward.wallet)
            if wallet is None:
                problems.append(((*gifts, i, "wallet"), f"wallet {reward.wallet} is not declared"))
            elif not wallet.giftable:
                problems.append(
                    ((*gifts, i, "wallet"), f"wallet {reward.wallet} is not declared giftable")
                )
            elif reward.quantity != reward.quantity.quantize(Decimal(1).scaleb(-wallet.scale)):
                problems.append(
                    ((*gifts, i, "quantity"), f"wallet {reward.wallet} has {wallet.scale} decimals")
                )
            for j, code in enumerate(reward.templates or []):
                if code not in templates:
                    problems.append(
                        ((*gifts, i, "templates", j), f"card template {code} is not declared")
                    )
        subs = self.payments.subscriptions
        if subs is None:
            return problems
        loc: Loc = ("payments", "subscriptions")
        if subs.store not in store_codes:
            problems.append(((*loc, "store"), f"store {subs.store!r} is not declared"))
        problems += _duplicates((*loc, "plans"), (p.code for p in subs.plans), "plan code")
        for i, plan in enumerate(subs.plans):
            for j, grant in enumerate(plan.grants):
                where: Loc = (*loc, "plans", i, "grants", j, "wallet")
                wallet = wallets.get(grant.wallet)
                if wallet is None:
                    problems.append((where, f"wallet {grant.wallet} is not declared"))
                elif grant.quantity != grant.quantity.quantize(Decimal(1).scaleb(-wallet.scale)):
                    problems.append((where, f"wallet {grant.wallet} has {wallet.scale} decimals"))
        return problems

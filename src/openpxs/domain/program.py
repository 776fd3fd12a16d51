"""A merchant's program as the rules see it: wallets, card templates and stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from openpxs.domain.clock import end_of_day, local_date
from openpxs.domain.errors import InvalidStore, InvalidWalletCode
from openpxs.domain.fields import FieldSetting, with_login

if TYPE_CHECKING:
    from openpxs.config.challenges import Challenge
    from openpxs.config.console import ConsoleConfig
    from openpxs.config.guest import GuestConfig
    from openpxs.config.loyalty import LoyaltyConfig
    from openpxs.config.outreach import OutreachConfig
    from openpxs.config.payments import PaymentsConfig
    from openpxs.config.places import PlacesConfig
    from openpxs.config.social_groups import SocialGroupConfig
    from openpxs.config.surveys import SurveyConfig
    from openpxs.config.wallet_passes import WalletPassesConfig

WALLET_KINDS = ("currency", "points", "reward", "count")
PROGRAM_CODES_ALL = "PX"  # a headerInfo.programId that addresses every program
# The last day whose end has an instant in every time zone.
LATEST_EXPIRY = date(9999, 12, 30)


@dataclass(frozen=True)
class WalletDef:
    code: int
    name: str
    kind: str
    scale: int
    program: str
    allow_negative: bool = False
    default_expiration_days: int | None = None
    description: str | None = None
    giftable: bool = False
    pos: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CardTemplateDef:
    code: int
    name: str
    programs: tuple[str, ...]
    # The enrollment form: field name -> setting, username and password always included.
    form: dict[str, FieldSetting] = field(default_factory=lambda: with_login({}))
    eclub: bool = False


@dataclass(frozen=True)
class StoreDef:
    code: str
    name: str
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Program:
    merchant_id: int
    name: str
    timezone: str
    wallets: dict[int, WalletDef]
    templates: dict[int, CardTemplateDef]
    stores: dict[str, StoreDef]
    guest: GuestConfig = field(default_factory=lambda: _default_guest_config())
    loyalty: LoyaltyConfig = field(default_factory=lambda: _default_loyalty_config())
    payments: PaymentsConfig = field(default_factory=lambda: _default_payments_config())
    # Surveys by code, in the order the file lists them.
    surveys: dict[str, SurveyConfig] = field(default_factory=dict)
    places: PlacesConfig = field(default_factory=lambda: _default_places_config())
    challenges: tuple[Challenge, ...] = ()
    # None: the merchant has no social groups.
    social_groups: SocialGroupConfig | None = None
    outreach: OutreachConfig = field(default_factory=lambda: _default_outreach_config())
    wallet_passes: WalletPassesConfig = field(default_factory=lambda: _default_wallet_passes())
    console: ConsoleConfig = field(default_factory=lambda: _default_console())

    def store(self, code: str) -> StoreDef:
        found = self.stores.get(code)
        if found is None:
            raise InvalidStore(f"store {code!r} is not a store of merchant {self.merchant_id}")
        return found

    def wallets_of_template(self, template_code: int) -> list[WalletDef]:
        template = self.templates.get(template_code)
        if template is None:
            return []
        return [
            w
            for w in sorted(self.wallets.values(), key=lambda w: w.code)
            if w.program in template.programs
        ]

    def wallet_for(self, code: int, template_code: int, program_id: str) -> WalletDef:
        """The wallet a call may move: configured, on the card's template, in its program."""
        wallet = self.wallets.get(code)
        template = self.templates.get(template_code)
        if wallet is None or template is None or wallet.program not in template.programs:
            raise InvalidWalletCode(f"wallet {code} is not configured for this card")
        if program_id != PROGRAM_CODES_ALL and wallet.program != program_id:
            raise InvalidWalletCode(f"wallet {code} is not in program {program_id}")
        return wallet

    def stored_value_wallet(self, template_code: int) -> WalletDef | None:
        """The purse reported as svCurrentBalance: the template's first SV currency wallet."""
        for wallet in self.wallets_of_template(template_code):
            if wallet.program == "SV" and wallet.kind == "currency":
                return wallet
        return None

    def expiry_instant(self, day: date) -> datetime:
        return end_of_day(day, self.timezone)

    def default_expiry(self, wallet: WalletDef, now: datetime) -> date | None:
        if wallet.default_expiration_days is None:
            return None
        return local_date(now, self.timezone) + timedelta(days=wallet.default_expiration_days)

    def challenge(self, code: str) -> Challenge | None:
        return next((c for c in self.challenges if c.code == code), None)

    def today(self, now: datetime) -> date:
        return local_date(now, self.timezone)


def _default_guest_config() -> GuestConfig:
    # Imported here: the configuration package itself depends on this module.
    from openpxs.config.guest import GuestConfig

    return GuestConfig()


def _default_loyalty_config() -> LoyaltyConfig:
    from openpxs.config.loyalty import LoyaltyConfig

    return LoyaltyConfig()


def _default_payments_config() -> PaymentsConfig:
    from openpxs.config.payments import PaymentsConfig

    return PaymentsConfig()


def _default_places_config() -> PlacesConfig:
    from openpxs.config.places import PlacesConfig

    return PlacesConfig()


def _default_outreach_config() -> OutreachConfig:
    from openpxs.config.outreach import OutreachConfig

    return OutreachConfig()


def _default_console() -> ConsoleConfig:
    from openpxs.config.console import ConsoleConfig

    return ConsoleConfig()


def _default_wallet_passes() -> WalletPassesConfig:
    from openpxs.config.wallet_passes import WalletPassesConfig

    return WalletPassesConfig()

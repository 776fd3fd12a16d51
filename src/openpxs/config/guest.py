"""The guest-facing parts of a merchant's configuration: enrollment forms, perks, the
OAuth token lifetimes and sign-in protection, and the messages sent to guests."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openpxs.config.website import (
    APPLE_ISSUER,
    APPLE_KEYS_URL,
    AbsoluteUrl,
    WebsiteConfig,
)
from openpxs.domain.fields import FIELD_TYPES, READ_ONLY, UNIQUE_CAPABLE, FieldSetting


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


FieldName = Annotated[str, Field(min_length=1, max_length=64)]


class EnrollmentFieldConfig(_Model):
    """One field of a registration form."""

    field: FieldName
    """The field's name as clients send it (username, password, email, firstName, mobilePhone,
    ...).
    """
    scope: Literal["user", "account"] = "user"
    """user: a field of the guest; account: a field of the guest's account (favoriteStore, ...)."""
    required: bool = False
    """Whether registration refuses a form without it."""
    min_length: int | None = Field(default=None, ge=0, le=254)
    """Fewest characters accepted."""
    max_length: int | None = Field(default=None, ge=1, le=254)
    """Most characters accepted."""
    unique: bool = False
    """No two guests of the merchant may share the value (username, email, mobile phone)."""
    label: Annotated[str, Field(max_length=200)] | None = None
    """The label a form shows for the field."""

    @model_validator(mode="after")
    def _known(self) -> EnrollmentFieldConfig:
        known = FIELD_TYPES[self.scope]
        if self.field in READ_ONLY or self.field not in known:
            raise ValueError(
                f"{self.field!r} is not a settable {self.scope} field; "
                f"choose from {', '.join(sorted(known))}"
            )
        if self.unique and self.field not in UNIQUE_CAPABLE:
            raise ValueError(
                f"{self.field!r} cannot be unique; only {', '.join(sorted(UNIQUE_CAPABLE))} can"
            )
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ValueError("min_length is greater than max_length")
        return self

    def setting(self) -> FieldSetting:
        return FieldSetting(
            name=self.field,
            scope=self.scope,
            required=self.required,
            min_length=self.min_length,
            max_length=self.max_length,
            unique=self.unique,
            label=self.label,
        )


class EnrollmentConfig(_Model):
    """The enrollment form of a card template."""

    eclub: bool = False
    """An email club: guests sign up with an e-mail address; a password is optional."""
    fields: list[EnrollmentFieldConfig] = Field(default_factory=list)
    """The form's fields, in the order forms show them."""

    @model_validator(mode="after")
    def _no_repeats(self) -> EnrollmentConfig:
        names = [f.field for f in self.fields]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"fields listed twice: {', '.join(repeated)}")
        return self


class PerkConfig(_Model):
    """A preference guests may pick (a diet, a seating wish, ...)."""

    code: Annotated[str, Field(min_length=1, max_length=64)]
    """The perk's code."""
    type: Annotated[str, Field(min_length=1, max_length=64)]
    """The group it belongs to (DIET, SEATING, ...)."""
    label: Annotated[str, Field(min_length=1, max_length=200)]
    """What guests see."""


class SecurityConfig(_Model):
    """OAuth token lifetimes and the limits that protect sign-in and card registration."""

    access_token_seconds: int = Field(default=1800, ge=60, le=86400)
    """Lifetime of an OAuth access token."""
    refresh_token_days: int = Field(default=90, ge=1, le=3650)
    """Lifetime of an OAuth refresh token."""
    authorization_grant_seconds: int = Field(default=300, ge=30, le=3600)
    """Lifetime of an OAuth authorization code."""
    # Guessing limits (docs/security.md, "Guessing, lockouts and secrets"). Each counter
    # backs off at its limit: refused for backoff_seconds, doubled with each further
    # failure up to lock_minutes; it forgets after failure_window_minutes without one.
    max_failed_sign_ins: int = Field(default=5, ge=1, le=100)
    """Wrong passwords for one username from one client address before it backs off."""
    max_card_guesses: int = Field(default=5, ge=1, le=1000)
    """Wrong registration codes (or unknown numbers) for one card from one address."""
    max_subject_failures: int = Field(default=20, ge=1, le=10000)
    """Failures against one username, card or phone number from every address together."""
    max_source_failures: int = Field(default=30, ge=1, le=100000)
    """Failures of every kind from one client address."""
    guess_budget: int = Field(default=1000, ge=1, le=10_000_000)
    """Misses from every address together within one range of card numbers (all but the
    last four digits), and for e-mailed codes tried without a guest signed in; once spent,
    only the addresses that missed in the window are refused."""
    backoff_seconds: int = Field(default=30, ge=1, le=3600)
    """How long a counter at its limit refuses at first; doubled with each further
    failure, up to lock_minutes."""
    max_sends_per_recipient: int = Field(default=3, ge=1, le=1000)
    """Reset e-mails and one-time-password texts per guest or phone number within
    send_window_minutes."""
    max_sends_per_source: int = Field(default=10, ge=1, le=100000)
    """Reset e-mails and one-time-password texts asked for by one client address within
    send_window_minutes."""
    send_window_minutes: int = Field(default=60, ge=1, le=10080)
    """The window in which sends are counted."""
    failure_window_minutes: int = Field(default=15, ge=1, le=1440)
    """A counter forgets its failures after this long without a new one."""
    lock_minutes: int = Field(default=15, ge=1, le=10080)
    """The longest a counter backs off: the doubling backoff stops here."""


class MessagesConfig(_Model):
    """Codes sent to guests and how long they stay valid."""

    verification_code_minutes: int = Field(default=60, ge=1, le=10080)
    """How long an e-mail or phone verification code stays valid."""
    reset_code_minutes: int = Field(default=30, ge=1, le=1440)
    """How long a password-reset code stays valid."""
    one_time_password_minutes: int = Field(default=10, ge=1, le=60)
    """How long a one-time sign-in password stays valid."""
    one_time_password_enabled: bool = True
    """Whether guests may sign in with a one-time password."""
    sms_enroll_link: Annotated[str, Field(max_length=300)] = (
        "https://example.com/enroll?code={code}"
    )
    """Where the link in an SMS enrollment text points; {code} is replaced by the code."""
    reset_by_sms: bool = False
    """Whether the hosted guest website offers to text a password-reset code to a guest's
    mobile phone (through the outbox's SMS channel) beside e-mailing it."""
    reset_link: Annotated[str, Field(max_length=300)] = (
        "https://example.com/reset-password?merchantId={merchant}&code={code}"
    )
    """The page of the merchant's guest website where a reset code is used; {merchant} and {code}
    are replaced.
    """


class AppleAppsConfig(_Model):
    """Sign in with Apple in the merchant's apps: oauth/requestGuestToken.json's grant
    http://paytronix.com/oauth/apple, with the identity token Apple gave the app."""

    client_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=20
    )
    """The apps' bundle ids (the aud of the identity tokens Apple gives them); a token
    for any other audience, the website's Services ID included, is refused."""
    keys_url: AbsoluteUrl = APPLE_KEYS_URL
    """Apple's public keys (a JWKS) identity tokens are verified with; the website's
    when both are configured."""
    issuer: Annotated[str, Field(min_length=1, max_length=2000)] = APPLE_ISSUER
    """The iss identity tokens must carry; the website's when both are configured."""
    external_identifier: Annotated[str, Field(min_length=1, max_length=100)] = "apple"
    """The external identifier the Apple user id (sub) is linked under; the website's
    when both are configured, so that one Apple user is one guest wherever they sign in."""
    require_nonce: bool = True
    """Refuse a grant without a nonce (the app's random value, whose SHA-256 it gave
    Apple): without one, an identity token copied from the app could be replayed until
    it expires."""


class GuestConfig(_Model):
    """Guest-facing settings."""

    perks: list[PerkConfig] = Field(default_factory=list)
    """Preferences guests may pick (diet, seating, ...)."""
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    """Token lifetimes and sign-in protection."""
    messages: MessagesConfig = Field(default_factory=MessagesConfig)
    """Verification, reset and one-time codes: how long they stay valid, and their links."""
    languages: list[Annotated[str, Field(min_length=2, max_length=16)]] = Field(
        default_factory=lambda: ["en"]
    )
    """Languages guests may choose for their messages."""
    message_frequencies: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=lambda: ["ALWAYS", "WEEKLY", "MONTHLY", "NEVER"]
    )
    """How often guests may choose to hear from the merchant."""
    website: WebsiteConfig | None = None
    """The hosted guest website and the applications it signs guests in to; none without
    this section."""
    apple: AppleAppsConfig | None = None
    """Sign in with Apple in the merchant's apps (the website's is guest.website.apple);
    none without this section."""

    @model_validator(mode="after")
    def _one_apple(self) -> GuestConfig:
        site = self.website.apple if self.website is not None else None
        if site is None or self.apple is None:
            return self
        for name in ("keys_url", "issuer", "external_identifier"):
            if getattr(site, name) != getattr(self.apple, name):
                raise ValueError(
                    f"apple.{name} differs from website.apple.{name}: one Apple user "
                    "would be two guests"
                )
        return self

    @model_validator(mode="after")
    def _unique_perks(self) -> GuestConfig:
        codes = [p.code for p in self.perks]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"perk codes listed twice: {', '.join(repeated)}")
        return self

"""The guest-facing parts of a merchant's configuration: enrollment forms, perks, the
OAuth token lifetimes and sign-in protection, and the messages sent to guests."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openpxs.domain.fields import FIELD_TYPES, READ_ONLY, UNIQUE_CAPABLE, FieldSetting


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FieldName = Annotated[str, Field(min_length=1, max_length=64)]


class EnrollmentFieldConfig(_Model):
    field: FieldName
    scope: Literal["user", "account"] = "user"
    required: bool = False
    min_length: int | None = Field(default=None, ge=0, le=254)
    max_length: int | None = Field(default=None, ge=1, le=254)
    unique: bool = False
    label: Annotated[str, Field(max_length=200)] | None = None

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

    # An email club: guests sign up with an e-mail address; a password is optional.
    eclub: bool = False
    fields: list[EnrollmentFieldConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_repeats(self) -> EnrollmentConfig:
        names = [f.field for f in self.fields]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"fields listed twice: {', '.join(repeated)}")
        return self


class PerkConfig(_Model):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=64)]
    label: Annotated[str, Field(min_length=1, max_length=200)]


class SecurityConfig(_Model):
    access_token_seconds: int = Field(default=1800, ge=60, le=86400)
    refresh_token_days: int = Field(default=90, ge=1, le=3650)
    authorization_grant_seconds: int = Field(default=300, ge=30, le=3600)
    # Guessing limits (docs/security.md, "Guessing, lockouts and secrets"). Each counter
    # backs off at its limit: refused for backoff_seconds, doubled with each further
    # failure up to lock_minutes; it forgets after failure_window_minutes without one.
    # Wrong passwords for one username from one client address.
    max_failed_sign_ins: int = Field(default=5, ge=1, le=100)
    # Wrong registration codes (or unknown numbers) for one card from one address.
    max_card_guesses: int = Field(default=5, ge=1, le=1000)
    # Failures against one username, card or phone number from every address together.
    max_subject_failures: int = Field(default=20, ge=1, le=10000)
    # Failures of every kind from one client address.
    max_source_failures: int = Field(default=30, ge=1, le=100000)
    # Misses from every address together within one range of card numbers (all but the
    # last four digits), and for e-mailed codes tried without a guest signed in; once
    # spent, only the addresses that missed in the window are refused.
    guess_budget: int = Field(default=1000, ge=1, le=10_000_000)
    backoff_seconds: int = Field(default=30, ge=1, le=3600)
    # Reset e-mails and one-time-password texts (services/sending.py): per guest or
    # phone number, and asks per client address, within send_window_minutes.
    max_sends_per_recipient: int = Field(default=3, ge=1, le=1000)
    max_sends_per_source: int = Field(default=10, ge=1, le=100000)
    send_window_minutes: int = Field(default=60, ge=1, le=10080)
    failure_window_minutes: int = Field(default=15, ge=1, le=1440)
    lock_minutes: int = Field(default=15, ge=1, le=10080)


class MessagesConfig(_Model):
    """Codes sent to guests and how long they stay valid."""

    verification_code_minutes: int = Field(default=60, ge=1, le=10080)
    reset_code_minutes: int = Field(default=30, ge=1, le=1440)
    one_time_password_minutes: int = Field(default=10, ge=1, le=60)
    one_time_password_enabled: bool = True
    # Where the link in an SMS enrollment text points; {code} is replaced by the code.
    sms_enroll_link: Annotated[str, Field(max_length=300)] = (
        "https://example.com/enroll?code={code}"
    )
    # The page of the merchant's guest website where a reset code is used; {merchant}
    # and {code} are replaced.
    reset_link: Annotated[str, Field(max_length=300)] = (
        "https://example.com/reset-password?merchantId={merchant}&code={code}"
    )


class GuestConfig(_Model):
    perks: list[PerkConfig] = Field(default_factory=list)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    messages: MessagesConfig = Field(default_factory=MessagesConfig)
    languages: list[Annotated[str, Field(min_length=2, max_length=16)]] = Field(
        default_factory=lambda: ["en"]
    )
    message_frequencies: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=lambda: ["ALWAYS", "WEEKLY", "MONTHLY", "NEVER"]
    )

    @model_validator(mode="after")
    def _unique_perks(self) -> GuestConfig:
        codes = [p.code for p in self.perks]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"perk codes listed twice: {', '.join(repeated)}")
        return self

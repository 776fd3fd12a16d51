"""Reaching guests, in a merchant's program file: marketing message templates
(messaging/*), the One To One visit cadence (onetoone/*), the content sets mobile apps
download (externalconfiguration/*) and the merchant's signed webhooks."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openpxs.config.payments import SecretRef
from openpxs.domain.marketing import TemplateSyntaxError, check_syntax, variables_of

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Names a template may read besides its external fields.
GUEST_VARIABLES = frozenset({"guest", "program"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


Name = Annotated[str, Field(min_length=1, max_length=200)]
Url = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^https?://\S+$")]


class MarketingTemplateConfig(_Model):
    """An e-mail a partner sends to one guest (messaging/sendMarketingMessage*.json),
    written as Jinja2 templates. Besides its external fields a template may read
    ``guest.firstName``, ``guest.lastName``, ``guest.printedCardNumber`` and
    ``program.name``."""

    code: int = Field(gt=0, lt=2**31)
    """The number partners send as campaignMessageTemplateCode."""
    name: Name
    """The template's name, for operators."""
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    """The e-mail's subject (a template; rendered on one line, at most 200 characters)."""
    html: Annotated[str, Field(min_length=1, max_length=100_000)]
    """The HTML part (a template, autoescaped: values show as text, never as markup)."""
    text: Annotated[str, Field(min_length=1, max_length=100_000)]
    """The plain-text part (a template); it is also what the guest's inbox shows."""
    external_fields: list[str] = Field(default_factory=list)
    """The names partners fill through replacementParams; a name not sent renders as
    nothing, a key not listed here is ignored."""
    image_url: Url | None = None
    """An image the guest's inbox shows with the message (imageUrl)."""
    push_text: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    """The text of the push when the message is sent with deliveryMethod PUSH (a plain
    text template; the push's title is the subject). None: the text part, cut at 240
    characters."""

    @field_validator("external_fields")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not FIELD_NAME.match(name):
                raise ValueError(f"{name!r} is not a field name (letters, digits, _)")
            if name in GUEST_VARIABLES:
                raise ValueError(f"{name!r} is reserved for the guest's own values")
        if len(set(value)) != len(value):
            raise ValueError("a field is listed twice")
        return value

    @model_validator(mode="after")
    def _templates(self) -> MarketingTemplateConfig:
        known = set(self.external_fields) | GUEST_VARIABLES
        for part in ("subject", "html", "text", "push_text"):
            source = getattr(self, part)
            if source is None:
                continue
            try:
                check_syntax(source)
            except TemplateSyntaxError as exc:
                raise ValueError(f"{part}: line {exc.lineno}: {exc.message}") from None
            unknown = sorted(variables_of(source) - known)
            if unknown:
                raise ValueError(f"{part} reads {', '.join(unknown)}: list it in external_fields")
        return self


class MarketingConfig(_Model):
    """Marketing e-mails partners send to single guests."""

    templates: list[MarketingTemplateConfig] = Field(default_factory=list)
    """The templates, by code."""
    honour_opt_out: bool = True
    """Whether a guest whose optIn user field is false is refused (guest_opted_out)
    rather than sent the message."""
    inbox: bool = True
    """Whether a sent message also goes in the guest's inbox (message/myMessages.json)."""


class CadenceRungConfig(_Model):
    """A rung of the One To One ladder: the reward granted at a visit count."""

    visits: int = Field(gt=0, le=100_000)
    """Visits (counted from the cadence's start) at which the reward is granted."""
    reward_description: Name | None = None
    """What the guest gets there, as apps show it."""


class OneToOneConfig(_Model):
    """The One To One visit cadence (onetoone/*): a ladder of rewards by visit count,
    starting over after reset_visits. Visits are what the visit wallet has been credited
    over the account's life (reversed visits do not count); rewards themselves are
    granted by the earning rules, not by this service."""

    visit_wallet: int = Field(gt=0)
    """The count wallet whose credits are visits (loyalty.visits)."""
    rungs: list[CadenceRungConfig] = Field(min_length=1)
    """The rungs, by increasing visit count."""
    reset_visits: int | None = Field(default=None, gt=0)
    """The visit count at which the ladder starts over; none: at the last rung."""
    card_templates: list[int] = Field(default_factory=list)
    """Card templates whose accounts follow the cadence; empty: every template."""

    @model_validator(mode="after")
    def _ordered(self) -> OneToOneConfig:
        counts = [r.visits for r in self.rungs]
        if counts != sorted(set(counts)):
            raise ValueError("rungs must have increasing, distinct visit counts")
        if self.reset_visits is not None and self.reset_visits < counts[-1]:
            raise ValueError("reset_visits must be at least the last rung's visits")
        return self

    @property
    def cycle(self) -> int:
        return self.reset_visits or self.rungs[-1].visits


Version = Annotated[str, Field(pattern=r"^\d{14}$")]


class AppContentVersion(_Model):
    """One published state of an app's content."""

    version: Version
    """Its stamp, yyyyMMddHHmmss (UTC), as apps store it."""
    images: dict[Annotated[str, Field(min_length=1, max_length=100)], Url] = Field(
        default_factory=dict
    )
    """Every image of this state: name (e.g. home5@2x) to download URL."""


class MobileAppConfig(_Model):
    """A mobile app's content set (externalconfiguration/getMobileAppConfig.json)."""

    app_id: Annotated[str, Field(min_length=1, max_length=200)]
    """The app's identifier in Google Play or the App Store (e.g. com.openpxs.demo)."""
    integrations: list[str] = Field(default_factory=list)
    """Integrations (identifiers) whose callers get this set; empty: any of the
    merchant's."""
    versions: list[AppContentVersion] = Field(min_length=1)
    """Its states, oldest first; the last is current. Keep earlier ones so apps that
    hold them get only what changed."""

    @model_validator(mode="after")
    def _ordered(self) -> MobileAppConfig:
        stamps = [v.version for v in self.versions]
        if stamps != sorted(set(stamps)):
            raise ValueError("versions must be listed oldest first, each once")
        return self


WebhookEvent = Literal["value.moved", "account.enrolled", "challenge.completed", "gift.delivered"]


class WebhookEndpointConfig(_Model):
    """A receiver of the merchant's events: each event it subscribes to is POSTed to its
    URL as JSON, signed with its secret (docs/webhooks.md)."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
    """The endpoint's name, unique in the program: deliveries are listed and replayed by
    it (``openpxs webhooks``)."""
    url: Url
    """Where the events are POSTed (https outside development)."""
    secret: SecretRef
    """The signing secret, by reference (an environment variable or a file): the
    receiver checks each delivery's OpenPXS-Signature header with it."""
    events: list[WebhookEvent] = Field(min_length=1)
    """The event types sent to it: value.moved, account.enrolled, challenge.completed,
    gift.delivered."""

    @field_validator("events")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an event is listed twice")
        return value


class OutreachConfig(_Model):
    """Reaching guests: marketing e-mails, the One To One cadence, mobile app content."""

    marketing: MarketingConfig = Field(default_factory=MarketingConfig)
    """Marketing e-mail templates and how sends treat opted-out guests."""
    one_to_one: OneToOneConfig | None = None
    """The visit cadence; none: accounts have no cadence (onetoone.no_cadence)."""
    mobile_apps: list[MobileAppConfig] = Field(default_factory=list)
    """Content sets of the merchant's mobile apps."""
    webhooks: list[WebhookEndpointConfig] = Field(default_factory=list)
    """Receivers of signed event notifications (docs/webhooks.md)."""

    def webhooks_for(self, event: str) -> list[WebhookEndpointConfig]:
        """The endpoints subscribed to ``event``."""
        return [w for w in self.webhooks if event in w.events]

    def webhook(self, name: str) -> WebhookEndpointConfig | None:
        return next((w for w in self.webhooks if w.name == name), None)

    def template(self, code: int | None) -> MarketingTemplateConfig | None:
        return next((t for t in self.marketing.templates if t.code == code), None)

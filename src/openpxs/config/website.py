"""The hosted guest website of a merchant: where it is served, how it looks, which
integration it signs guests in as, and the applications it may sign guests in to (SSO).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from openpxs.web.catalog import known_keys


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$"
)
# WCAG 2.2 AA: normal text needs a contrast ratio of 4.5 to 1.
MIN_CONTRAST = 4.5


def _colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValueError("write a colour as #RRGGBB")
    return value.lower()


def _host(value: str) -> str:
    lowered = value.lower()
    if not _HOST.match(lowered):
        raise ValueError("write a host name such as rewards.example.com (an optional :port)")
    return lowered


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("write an absolute http or https URL")
    if parts.fragment or "#" in value:
        raise ValueError("a redirect URI has no fragment (RFC 6749 3.1.2)")
    return value


def _image_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOCAL):
        raise ValueError("write an https URL (http only for localhost)")
    return value


_LOCAL = ("localhost", "127.0.0.1")
AbsoluteUrl = Annotated[str, Field(max_length=2000), AfterValidator(_absolute_url)]
Colour = Annotated[str, AfterValidator(_colour)]
GuestScope = Literal["user_read", "user_write", "account_read", "account_write"]
ALL_SCOPES: tuple[GuestScope, ...] = ("user_read", "user_write", "account_read", "account_write")


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class ThemeConfig(_Model):
    """How the guest website looks and what it says."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """The site's title; the merchant's name when not given."""
    logo_url: Annotated[str, Field(max_length=2000), AfterValidator(_image_url)] | None = None
    """The logo shown in the header (https)."""
    logo_alt: Annotated[str, Field(max_length=200)] | None = None
    """The logo's text alternative; the site's name when not given."""
    primary_colour: Colour = "#1f4e79"
    """Buttons and links (#RRGGBB); white text on it must reach a 4.5:1 contrast."""
    background_colour: Colour = "#ffffff"
    """The page's background (#RRGGBB)."""
    text_colour: Colour = "#1a1a1a"
    """The page's text (#RRGGBB); it must reach a 4.5:1 contrast with the background."""
    texts: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]] = (
        Field(default_factory=dict)
    )
    """The site's copy: texts replacing the English message catalog's, by key (e.g.
    signin.intro)."""

    @model_validator(mode="after")
    def _readable(self) -> ThemeConfig:
        if contrast(self.text_colour, self.background_colour) < MIN_CONTRAST:
            raise ValueError(
                f"text_colour on background_colour has a contrast below {MIN_CONTRAST}:1"
            )
        if contrast("#ffffff", self.primary_colour) < MIN_CONTRAST:
            raise ValueError(f"white text on primary_colour has a contrast below {MIN_CONTRAST}:1")
        if contrast(self.primary_colour, self.background_colour) < MIN_CONTRAST:
            raise ValueError(
                f"primary_colour on background_colour has a contrast below {MIN_CONTRAST}:1"
            )
        unknown = sorted(set(self.texts) - known_keys())
        if unknown:
            raise ValueError(f"texts names unknown message keys: {', '.join(unknown)}")
        return self


class SsoClientConfig(_Model):
    """An application the site may sign guests in to by the redirect flow
    (/guest/accountlogin)."""

    integration: Annotated[str, Field(min_length=1, max_length=200)]
    """The integration (its identifier) named by client_id."""
    redirect_uris: list[Annotated[str, Field(max_length=2000), AfterValidator(_absolute_url)]] = (
        Field(min_length=1, max_length=20)
    )
    """The exact URIs the guest may be sent back to; any other one is refused."""
    scopes: list[GuestScope] = Field(default_factory=lambda: list(ALL_SCOPES), min_length=1)
    """The scopes the application may ask for."""


class PartnerLinkConfig(_Model):
    """A link on the account page into a partner's site (2-party SSO): following it
    sends the guest there with a fresh authorization grant."""

    integration: Annotated[str, Field(min_length=1, max_length=200)]
    """The partner's integration: one of the applications listed under sso."""
    label: Annotated[str, Field(min_length=1, max_length=100)]
    """The link's text (e.g. Order online)."""
    url: Annotated[str, Field(max_length=2000), AfterValidator(_absolute_url)]
    """Where the guest is sent, with code and expires_in added: one of that
    application's redirect_uris."""


APPLE_AUTHORIZE_URL = "https://appleid.apple.com/auth/authorize"
APPLE_KEYS_URL = "https://appleid.apple.com/auth/keys"
APPLE_ISSUER = "https://appleid.apple.com"


class AppleSignInConfig(_Model):
    """Sign in with Apple on the guest website (a "Sign in with Apple" button on the
    sign-in page and a link button on the profile page)."""

    client_id: Annotated[str, Field(min_length=1, max_length=200)]
    """The Services ID registered with Apple (the aud of Apple's identity tokens)."""
    team_id: Annotated[str, Field(min_length=1, max_length=20)]
    """The Apple Developer Team ID of the Services ID."""
    authorize_url: Annotated[str, Field(max_length=2000), AfterValidator(_absolute_url)] = (
        APPLE_AUTHORIZE_URL
    )
    """Apple's authorization endpoint the guest is sent to."""
    keys_url: Annotated[str, Field(max_length=2000), AfterValidator(_absolute_url)] = APPLE_KEYS_URL
    """Apple's public keys (a JWKS) identity tokens are verified with."""
    issuer: Annotated[str, Field(min_length=1, max_length=2000)] = APPLE_ISSUER
    """The iss identity tokens must carry."""
    external_identifier: Annotated[str, Field(min_length=1, max_length=100)] = "apple"
    """The external identifier the Apple user id (sub) is linked under
    (enrollment/editExternalAccounts)."""


class WebsiteConfig(_Model):
    """The hosted guest website (/m/{merchantId}/guest/ on any host, /guest/ on its own)."""

    integration: Annotated[str, Field(min_length=1, max_length=200)]
    """The integration (its identifier, with the oauth style) the site signs guests in as."""
    hosts: list[Annotated[str, AfterValidator(_host)]] = Field(default_factory=list, max_length=20)
    """Host names that serve the site at /guest/ (e.g. rewards.example.com)."""
    card_template: int = Field(default=1, ge=0)
    """The card template guests join by the site's registration page."""
    store: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    """The store a registration is recorded at."""
    theme: ThemeConfig = Field(default_factory=ThemeConfig)
    """Name, logo, colours and texts."""
    sso: list[SsoClientConfig] = Field(default_factory=list)
    """Applications guests may be signed in to by the redirect flow."""
    partner_links: list[PartnerLinkConfig] = Field(default_factory=list, max_length=20)
    """Links on the account page into partners' sites, each carrying a fresh single-use
    authorization grant (2-party SSO)."""
    apple: AppleSignInConfig | None = None
    """Sign in with Apple; none without this section."""

    @model_validator(mode="after")
    def _distinct(self) -> WebsiteConfig:
        clients = [c.integration for c in self.sso]
        if len(set(clients)) != len(clients):
            raise ValueError("an integration is listed twice in sso")
        if len(set(self.hosts)) != len(self.hosts):
            raise ValueError("a host is listed twice")
        for link in self.partner_links:
            client = self.client(link.integration)
            if client is None:
                raise ValueError(
                    f"partner link {link.label!r}: integration {link.integration!r} is not"
                    " listed in sso"
                )
            if link.url not in client.redirect_uris:
                raise ValueError(
                    f"partner link {link.label!r}: url is not one of the redirect_uris of"
                    f" {link.integration!r}"
                )
        return self

    def client(self, identifier: str) -> SsoClientConfig | None:
        return next((c for c in self.sso if c.integration == identifier), None)

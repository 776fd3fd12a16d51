"""Wallet passes in a merchant's program file: the Apple Wallet pass (certificates by
path, look, PassKit web service address) and the Google Wallet loyalty class and
service-account key.

Certificates and keys are never copied into the database: the file names where they
are, and the server reads them when it builds a pass or signs a token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


Color = str


class ApplePassConfig(_Model):
    """The merchant's Apple Wallet store card pass."""

    pass_type_identifier: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9.\-]+$")
    """The pass type identifier of the merchant's Pass Type ID certificate
    (pass.com.example.loyalty); also the APNs topic of pass updates."""
    team_identifier: str = Field(min_length=1, max_length=20)
    """The Apple Developer team that owns the pass type identifier."""
    organization_name: str = Field(min_length=1, max_length=200)
    """Shown on the lock screen and by Wallet as the pass's issuer."""
    description: str = Field(default="Loyalty card", min_length=1, max_length=200)
    """What the pass is, for accessibility (VoiceOver)."""
    logo_text: str | None = Field(default=None, max_length=60)
    """Text next to the logo at the top of the pass."""
    background_color: Color = Field(
        default="rgb(32,56,100)", pattern=r"^rgb\(\d{1,3},\d{1,3},\d{1,3}\)$"
    )
    """The pass's background colour, as rgb(r,g,b)."""
    foreground_color: Color = Field(
        default="rgb(255,255,255)", pattern=r"^rgb\(\d{1,3},\d{1,3},\d{1,3}\)$"
    )
    """The colour of field values on the pass."""
    label_color: Color = Field(
        default="rgb(200,210,230)", pattern=r"^rgb\(\d{1,3},\d{1,3},\d{1,3}\)$"
    )
    """The colour of field labels on the pass."""
    currency_code: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """ISO 4217 code money balances are shown in."""
    certificate_file: str = Field(min_length=1)
    """PEM file of the Pass Type ID certificate Apple issued for pass_type_identifier
    (also the client certificate of pass-update pushes)."""
    private_key_file: str = Field(min_length=1)
    """PEM file of that certificate's private key (unencrypted)."""
    wwdr_certificate_file: str = Field(min_length=1)
    """PEM file of Apple's WWDR intermediate certificate that issued the pass certificate."""
    web_service_url: str = Field(min_length=1, pattern=r"^https?://")
    """This server's public address as devices reach it, e.g. https://pxs.example.com:
    the pass download links start with it and passes name {web_service_url}/passkit as
    their webServiceURL (Apple requires https outside development)."""
    push_url: str = Field(default="https://api.push.apple.com", pattern=r"^https?://")
    """Where pass-update pushes go (APNs; https://api.sandbox.push.apple.com for
    development passes)."""


class GoogleWalletConfig(_Model):
    """The merchant's Google Wallet loyalty class and the key that signs for it."""

    issuer_id: str = Field(min_length=1, max_length=40, pattern=r"^[0-9]+$")
    """The Google Wallet issuer id of the merchant's Google Pay & Wallet console."""
    class_suffix: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")
    """The loyalty class, as {issuer_id}.{class_suffix} (made in the console)."""
    service_account_key_file: str = Field(min_length=1)
    """The service account's JSON key file (client_email, private_key, token_uri):
    signs Save to Google Wallet tokens and the REST API's access tokens."""
    api_url: str = Field(default="https://walletobjects.googleapis.com", pattern=r"^https?://")
    """The Google Wallet REST API, where loyalty objects are updated when balances change."""
    currency_code: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """ISO 4217 code a money balance is shown in."""
    theme: Literal["dark", "light"] = "dark"
    """The Save to Google Wallet button theme returned with the token."""
    size: Literal["standard", "small"] = "standard"
    """The Save to Google Wallet button size returned with the token."""


class WalletPassesConfig(_Model):
    """Apple Wallet and Google Wallet passes of the merchant's cards; each is off when
    its section is missing."""

    apple: ApplePassConfig | None = None
    """The Apple Wallet pass (applepassbook/passbookUrl and the PassKit web service)."""
    google: GoogleWalletConfig | None = None
    """The Google Wallet loyalty object (googlewallet/*)."""

"""The operator console in a merchant's program file: what it asks of the staff who
sign in to it (docs/operator/console.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ConsoleConfig(_Model):
    """The operator console at /console/."""

    require_totp_for_owners: bool = False
    """Owners must sign in with a second factor (a TOTP code from an authenticator app):
    an owner without one set up (`openpxs operators add --totp`) cannot sign in."""

"""The request members every guest-facing service shares (merchantId and the
authentication style's)."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, WireModel


class GuestRequest(WireModel):
    """merchantId plus the authentication style's members (auth.yaml); the style's own
    members (access_token, registrationCode, username/password, ...) are read by the style
    resolvers from the raw parameters, so they need not be repeated in every model."""

    authentication: str | None = None
    merchantId: FlexInt
    access_token: FlexStr | None = Field(default=None, max_length=200)

    def claimed_merchant_id(self) -> int:
        return self.merchantId

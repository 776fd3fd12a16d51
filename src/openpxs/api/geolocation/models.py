"""Request and reply objects of the Geolocation Service (geolocation.yaml)."""

from __future__ import annotations

from decimal import Decimal

from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, ReplyModel, WireModel


class CoordinatesByAddressRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    # Checked by the use case, so that a missing one is an inputFailure with its name.
    address: FlexStr | None = None
    city: FlexStr | None = None
    stateProvince: FlexStr | None = None
    postalCode: FlexStr | None = None
    country: FlexStr | None = None

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class CoordinatesReply(ReplyModel):
    result: str = "success"
    lat: DecimalOut
    lon: DecimalOut
    exactMatch: bool

    @classmethod
    def of(cls, lat: Decimal, lon: Decimal, exact: bool) -> CoordinatesReply:
        return cls(lat=lat, lon=lon, exactMatch=exact)

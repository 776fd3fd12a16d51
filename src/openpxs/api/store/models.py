"""Request and reply objects of the Store Service (store.yaml)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpxs.store.repositories.stores import StoreListing
from openpxs.wire.types import FlexInt, ReplyModel, WireModel

# The address members a Location shows, in their wire names.
ADDRESS_MEMBERS = ("address1", "address2", "city", "stateProvince", "postalCode", "country")


class _StoreRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class NearbyLocationsRequest(_StoreRequest):
    # Decimal reads "42.384620" and 42.38462 alike (the guide sends numbers as strings).
    latitude: Decimal
    longitude: Decimal
    maxDistance: Decimal
    maxLocations: FlexInt
    storeGroupCode: FlexInt | None = None


class StoresRequest(_StoreRequest):
    storeGroupCode: FlexInt | None = None


class LocationAddress(ReplyModel):
    """The store's postal address and phone number."""

    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    stateProvince: str | None = None
    postalCode: str | None = None
    country: str | None = None
    phone: str | None = None


class Location(ReplyModel):
    """A store of the merchant, as a store locator shows it."""

    code: str
    name: str | None = None
    address: LocationAddress | None = None
    distance: str | None = None
    hoursOfOperation: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    metadata: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, store: StoreListing, miles: float | None = None) -> Location:
        address = {k: v for k, v in store.address.items() if k in ADDRESS_MEMBERS}
        if store.phone:
            address["phone"] = store.phone
        return cls(
            code=store.code,
            name=store.name,
            address=LocationAddress(**address) if address else None,
            # repr of a float: the shortest text that reads back as the same number.
            distance=None if miles is None else repr(miles),
            hoursOfOperation=store.hours,
            latitude=store.latitude,
            longitude=store.longitude,
            metadata=store.attributes or None,
        )


class LocationsReply(ReplyModel):
    result: str = "success"
    locations: list[Location]

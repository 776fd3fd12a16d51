"""The store locator (store.yaml): the merchant's stores nearest a point, and all of them.

The database keeps the stores inside the search circle's bounding box (an indexed
range); the exact great-circle distance then decides, so a store is never missed by the
box and never returned beyond maxDistance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.geo import bounding_box, distance_miles
from openpxs.services.context import Call
from openpxs.store.repositories.stores import StoreListing

# Half the Earth's circumference: every point is nearer than this.
FARTHEST_MILES = Decimal(12_500)
MOST_LOCATIONS = 1000


@dataclass(frozen=True)
class NearbyStore:
    store: StoreListing
    miles: float


def _degrees(value: Decimal, limit: int, name: str) -> float:
    if not value.is_finite() or not -limit <= value <= limit:
        raise Refused(Reason.INVALID_REQUEST, f"{name} must be between -{limit} and {limit}")
    return float(value)


def _group_name(call: Call, group_code: int | None) -> str | None:
    if group_code is None:
        return None
    group = call.program.places.group(group_code)
    if group is None:
        raise Refused(Reason.INVALID_STORE_GROUP, f"no store group {group_code}")
    return group.name


async def nearby(
    call: Call,
    latitude: Decimal,
    longitude: Decimal,
    max_distance: Decimal,
    max_locations: int,
    group_code: int | None,
) -> list[NearbyStore]:
    """The stores within ``max_distance`` miles of the point, nearest first (ties by
    store code), at most ``max_locations``."""
    lat = _degrees(latitude, 90, "latitude")
    lon = _degrees(longitude, 180, "longitude")
    if not max_distance.is_finite() or not 0 <= max_distance <= FARTHEST_MILES:
        raise Refused(Reason.INVALID_REQUEST, f"maxDistance must be 0 to {FARTHEST_MILES} miles")
    if not 1 <= max_locations <= MOST_LOCATIONS:
        raise Refused(Reason.INVALID_REQUEST, f"maxLocations must be 1 to {MOST_LOCATIONS}")
    group = _group_name(call, group_code)
    miles = float(max_distance)
    candidates = await call.uow.stores.in_box(call.merchant_id, bounding_box(lat, lon, miles))
    found = []
    for store in candidates:
        if group is not None and group not in store.groups:
            continue
        assert store.lat is not None and store.lon is not None  # the box query's condition
        away = distance_miles(lat, lon, store.lat, store.lon)
        if away <= miles and not math.isnan(away):
            found.append(NearbyStore(store, away))
    found.sort(key=lambda n: (n.miles, n.store.code))
    return found[:max_locations]


async def all_stores(call: Call, group_code: int | None) -> list[StoreListing]:
    """Every store of the merchant (of the group, when given), by code."""
    group = _group_name(call, group_code)
    return [
        s for s in await call.uow.stores.all(call.merchant_id) if group is None or group in s.groups
    ]

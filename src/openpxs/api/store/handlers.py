"""Store Service (store.yaml): the store locator."""

from __future__ import annotations

from openpxs.api.store import models as m
from openpxs.api.store.errors import ANONYMOUS, STORE
from openpxs.domain.errors import Reason
from openpxs.services import store_locator
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


async def _nearby(ctx: CallContext, req: m.NearbyLocationsRequest) -> m.LocationsReply:
    found = await store_locator.nearby(
        ctx, req.latitude, req.longitude, req.maxDistance, req.maxLocations, req.storeGroupCode
    )
    return m.LocationsReply(locations=[m.Location.of(n.store, n.miles) for n in found])


@endpoint(
    STORE,
    "nearbyLocations",
    method="GET",
    request=m.NearbyLocationsRequest,
    reply=m.LocationsReply,
    styles=ANONYMOUS,
    summary="Stores near a point",
    errors=(Reason.INVALID_STORE_GROUP,),
)
async def nearby_locations(ctx: CallContext, req: m.NearbyLocationsRequest) -> m.LocationsReply:
    """The merchant's stores with coordinates (of storeGroupCode's group when given)
    within maxDistance miles of the point by great-circle distance, nearest first (equal
    distances by store code), at most maxLocations (1 to 1000). Numbers may be sent as
    strings. An empty list is a success."""
    return await _nearby(ctx, req)


@endpoint(
    STORE,
    "nearbyLocations",
    method="POST",
    request=m.NearbyLocationsRequest,
    reply=m.LocationsReply,
    styles=ANONYMOUS,
    summary="Stores near a point (members as a JSON object)",
    errors=(Reason.INVALID_STORE_GROUP,),
)
async def nearby_locations_json(
    ctx: CallContext, req: m.NearbyLocationsRequest
) -> m.LocationsReply:
    """The same search with its members sent as a JSON object, as the mobile guide shows
    them."""
    return await _nearby(ctx, req)


@endpoint(
    STORE,
    "stores",
    method="GET",
    request=m.StoresRequest,
    reply=m.LocationsReply,
    styles=ANONYMOUS,
    summary="All stores",
    errors=(Reason.INVALID_STORE_GROUP,),
)
async def stores(ctx: CallContext, req: m.StoresRequest) -> m.LocationsReply:
    """Every store of the merchant (of storeGroupCode's group when given), by store
    code, without distances."""
    listed = await store_locator.all_stores(ctx, req.storeGroupCode)
    return m.LocationsReply(locations=[m.Location.of(s) for s in listed])

"""Geolocation Service (geolocation.yaml): an address to coordinates."""

from __future__ import annotations

from openpxs.api.geolocation import models as m
from openpxs.api.geolocation.errors import GEOLOCATION, STYLES
from openpxs.domain.errors import Reason
from openpxs.services import geolocation
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    GEOLOCATION,
    "coordinatesByAddress",
    request=m.CoordinatesByAddressRequest,
    reply=m.CoordinatesReply,
    styles=STYLES,
    summary="Coordinates of a postal address",
    errors=(Reason.ADDRESS_NOT_LOCATED,),
)
async def coordinates_by_address(
    ctx: CallContext, req: m.CoordinatesByAddressRequest
) -> m.CoordinatesReply:
    """Geocodes the address with the merchant's geocoder (places.geocoder). exactMatch
    is false when the position is only near the address (a street, or the middle of
    its ZIP code with the built-in offline geocoder). A missing address, city or
    stateProvince, or a state or country not recognised, answers inputFailure; an
    address that cannot be located at all, failure."""
    query = geolocation.address_query(
        req.address, req.city, req.stateProvince, req.postalCode, req.country
    )
    found = await geolocation.coordinates_by_address(
        geolocation.geocoder_for(ctx.program.places.geocoder), query
    )
    return m.CoordinatesReply.of(found.latitude, found.longitude, found.exact)

"""Region Event Service (regionevent.yaml): geofences around the guest's store."""

from __future__ import annotations

from openpxs.api.regionevent import models as m
from openpxs.api.regionevent.errors import OAUTH, REGIONEVENT
from openpxs.domain.errors import Reason
from openpxs.services import region_events
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

ACCESS = (Reason.INSUFFICIENT_SCOPE, Reason.CARD_NOT_FOUND)


@endpoint(
    REGIONEVENT,
    "regionDefinitions",
    method="GET",
    request=m.RegionDefinitionsRequest,
    reply=m.RegionDefinitionsReply,
    styles=OAUTH,
    summary="Regions to monitor around the guest's store",
    errors=(*ACCESS, Reason.NO_STORE),
)
async def region_definitions(
    ctx: CallContext, req: m.RegionDefinitionsRequest
) -> m.RegionDefinitionsReply:
    """Needs a guest token with the region_event_post scope and the guest's own card.
    Returns a circle (radius in metres, places.regions) around the account's favourite
    store, else its enrollment store, and a new regionEventAccessToken that does not
    expire (until the guest's tokens are revoked), for postRegionEvent."""
    found = await region_events.region_definitions(ctx, req.printedCardNumber)
    return m.RegionDefinitionsReply(
        regionEventAccessToken=found.token,
        geoRegions=[
            m.RegionDefinition(
                coordinates=m.RegionCoordinates(
                    latitude=store.latitude or "", longitude=store.longitude or ""
                ),
                radius=found.radius_meters,
                storeCode=store.code,
            )
            for store in found.stores
        ],
    )


@endpoint(
    REGIONEVENT,
    "postRegionEvent",
    request=m.PostRegionEventRequest,
    reply=m.ResultReply,
    styles=OAUTH,
    summary="Report entering or leaving a region",
    errors=(*ACCESS, Reason.INVALID_REGION),
)
async def post_region_event(ctx: CallContext, req: m.PostRegionEventRequest) -> m.ResultReply:
    """Records that the guest's device entered (ENTER) or left (EXIT) the region of
    storeCode at eventTime (ISO 8601 with an offset; now when absent), authenticated by
    the regionEventAccessToken. No points or rewards are granted."""
    await region_events.post_region_event(
        ctx, req.printedCardNumber, req.storeCode, req.eventType, req.eventTime
    )
    return m.ResultReply()

"""Tour Service (tour.yaml): active tours and a guest's progress."""

from __future__ import annotations

from openpxs.api.tour import models as m
from openpxs.api.tour.errors import STYLES, TOUR
from openpxs.domain.errors import Reason
from openpxs.services import tours
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    TOUR,
    "activeTours",
    method="GET",
    request=m.ActiveToursRequest,
    reply=m.ActiveToursReply,
    styles=STYLES,
    summary="The merchant's active tours",
)
async def active_tours(ctx: CallContext, req: m.ActiveToursRequest) -> m.ActiveToursReply:
    """The tours (places.tours) whose start and end dates hold the merchant's today,
    each with its items."""
    return m.ActiveToursReply(tours=[m.ActiveTour.of(t) for t in tours.active_tours(ctx)])


@endpoint(
    TOUR,
    "tourStatus",
    method="GET",
    request=m.TourStatusRequest,
    reply=m.TourStatusReply,
    styles=STYLES,
    summary="A guest's progress on a tour",
    errors=(Reason.CARD_NOT_FOUND, Reason.INVALID_TOUR),
)
async def tour_status(ctx: CallContext, req: m.TourStatusRequest) -> m.TourStatusReply:
    """The tour's items the card's account has bought, each counted once at its first
    purchase within the tour's dates, read from the checks posted for the account
    (check/postCheck.json, lines by itemId, in the tour's category when it names one);
    a reversed posting no longer counts. completed when every item is bought."""
    found = await tours.tour_status(ctx, req.tourCode, req.printedCardNumber)
    return m.TourStatusReply(
        tourCode=found.tour.code,
        completedItems=[
            m.TourItemStatus(
                itemCode=i.item_code, name=i.name, firstPurchaseDate=i.first_purchase.isoformat()
            )
            for i in found.done
        ],
        itemsCompleted=len(found.done),
        itemsTotal=found.total,
        completed=found.completed,
    )

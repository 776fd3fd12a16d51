"""Request and reply objects of the Tour Service (tour.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.config.places import TourConfig
from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel

Id = Field(default=None, max_length=64)


class _TourRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class ActiveToursRequest(_TourRequest):
    pass


class TourStatusRequest(_TourRequest):
    tourCode: FlexStr | None = Id
    printedCardNumber: FlexStr | None = Id


class TourItem(ReplyModel):
    """An item of the tour."""

    itemCode: str
    name: str | None = None


class ActiveTour(ReplyModel):
    """A tour guests can make now."""

    tourCode: str
    name: str
    description: str | None = None
    startDate: str | None = None
    endDate: str | None = None
    items: list[TourItem]

    @classmethod
    def of(cls, tour: TourConfig) -> ActiveTour:
        return cls(
            tourCode=tour.code,
            name=tour.name,
            description=tour.description,
            startDate=tour.start_date.isoformat() if tour.start_date else None,
            endDate=tour.end_date.isoformat() if tour.end_date else None,
            items=[TourItem(itemCode=i.item_code, name=i.name) for i in tour.items],
        )


class ActiveToursReply(ReplyModel):
    result: str = "success"
    tours: list[ActiveTour]


class TourItemStatus(ReplyModel):
    """An item the guest has bought, and when first."""

    itemCode: str
    name: str | None = None
    firstPurchaseDate: str


class TourStatusReply(ReplyModel):
    result: str = "success"
    tourCode: str
    completedItems: list[TourItemStatus]
    itemsCompleted: int
    itemsTotal: int
    completed: bool

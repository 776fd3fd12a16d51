"""Request and reply objects of the Region Event Service (regionevent.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel

Id = Field(default=None, max_length=64)


class _RegionRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    access_token: str | None = Field(default=None, max_length=200)
    printedCardNumber: FlexStr | None = Id

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class RegionDefinitionsRequest(_RegionRequest):
    pass


class PostRegionEventRequest(_RegionRequest):
    storeCode: FlexStr | None = Id
    eventType: FlexStr | None = Field(default=None, max_length=16)
    eventTime: FlexStr | None = Id


class RegionCoordinates(ReplyModel):
    """The centre of a region."""

    latitude: str
    longitude: str


class RegionDefinition(ReplyModel):
    """A circle for the app to monitor."""

    coordinates: RegionCoordinates
    regionType: str = "storeCode"
    radius: int
    storeCode: str | None = None


class RegionDefinitionsReply(ReplyModel):
    result: str = "success"
    regionEventAccessToken: str
    geoRegions: list[RegionDefinition]


class ResultReply(ReplyModel):
    result: str = "success"

"""Places in a merchant's program file: store groups, check-ins, geofence regions, tours
and the geocoder that turns an address into coordinates.

Stores themselves (coordinates, address, hours) are in ``config.model.StoreConfig``;
this section holds what the store locator, check-in, region event and tour services add
around them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _quoted(value: object) -> object:
    # Item and tour codes are text that may start with zeros: YAML would drop them.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write this value in quotes, e.g. '{value}': it is text, not a number")
    return value


Code = Annotated[str, BeforeValidator(_quoted), Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortLength = Annotated[int, Field(ge=2, le=6)]


class StoreGroupConfig(_Model):
    """A group of stores a store locator can be limited to (storeGroupCode)."""

    code: int = Field(gt=0)
    """The number clients send as storeGroupCode."""
    name: Code
    """The group's name, as stores list it in their groups."""


class CheckinConfig(_Model):
    """How mobile check-ins behave (checkin/checkinAccount.json)."""

    expiry_minutes: int = Field(default=60, ge=1, le=1440)
    """Minutes a check-in (and its short card number) stays valid."""
    store_short_length: ShortLength | None = None
    """Digits of the short card number of a check-in at a store (2 to 6); none: no short
    number is given."""
    corporate_short_length: ShortLength | None = None
    """Digits of the short card number of a merchant-wide check-in (2 to 6); none: no short
    number is given."""
    max_per_period: int | None = Field(default=None, ge=1)
    """Most check-ins an account may make within period_minutes; none: no cap."""
    period_minutes: int = Field(default=1440, ge=1, le=525600)
    """The window max_per_period counts in."""
    minutes_between: int | None = Field(default=None, ge=1)
    """Minutes that must pass between two check-ins of an account; none: no gap."""
    max_clock_skew_minutes: int = Field(default=1440, ge=1, le=10080)
    """A checkinTime further than this from the server's clock is refused."""


class RegionConfig(_Model):
    """Geofence regions handed to mobile apps (regionevent/regionDefinitions.json)."""

    radius_meters: int = Field(default=500, ge=50, le=100000)
    """Radius of the circle around the guest's store, in metres."""


class TourItemConfig(_Model):
    """An item of a tour: bought once, it counts."""

    item_code: Code
    """The POS item code (the itemCode of a posted check's line)."""
    name: Name | None = None
    """The item's name shown to guests."""


class TourConfig(_Model):
    """A tour: the distinct items of a category a guest sets out to buy."""

    code: Code
    """The tour's code (tourCode)."""
    name: Name
    """The tour's name."""
    description: Annotated[str, Field(max_length=500)] | None = None
    """A longer description shown to guests."""
    start_date: date | None = None
    """First day of the tour, in the merchant's time zone; none: always started."""
    end_date: date | None = None
    """Last day of the tour; none: never ends."""
    category: Code | None = None
    """The POS menu category (categoryId) the tour is about; when given, only check lines
    in it count."""
    items: list[TourItemConfig] = Field(min_length=1)
    """The items to buy; each counts once however often it is bought."""

    @model_validator(mode="after")
    def _consistent(self) -> TourConfig:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        codes = [i.item_code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("an item_code is listed twice")
        return self

    def active_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or day <= self.end_date
        )


class OfflineGeocoderConfig(_Model):
    """The built-in geocoder: no network, the centre of the address's US ZIP code from a
    small gazetteer shipped with the server (approximate matches only)."""

    kind: Literal["offline"] = "offline"
    """offline."""


class NominatimGeocoderConfig(_Model):
    """A Nominatim-compatible geocoding server (OpenStreetMap's, or your own)."""

    kind: Literal["nominatim"]
    """nominatim."""
    base_url: Annotated[str, Field(pattern=r"^https?://", max_length=500)]
    """The server's address, e.g. https://nominatim.example.org (its /search is called)."""
    user_agent: Annotated[str, Field(min_length=1, max_length=200)] = "OpenPXS"
    """User-Agent sent with each request, as public Nominatim servers require."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """How long to wait for an answer."""


GeocoderConfig = Annotated[
    OfflineGeocoderConfig | NominatimGeocoderConfig, Field(discriminator="kind")
]


class PlacesConfig(_Model):
    """Store groups, check-ins, geofence regions, tours and the geocoder."""

    store_groups: list[StoreGroupConfig] = Field(default_factory=list)
    """Numbered store groups; a store joins one by listing its name in groups."""
    checkin: CheckinConfig = Field(default_factory=CheckinConfig)
    """Mobile check-ins."""
    regions: RegionConfig = Field(default_factory=RegionConfig)
    """Geofence regions for mobile apps."""
    tours: list[TourConfig] = Field(default_factory=list)
    """Tours guests make through the menu."""
    geocoder: GeocoderConfig = Field(default_factory=OfflineGeocoderConfig)
    """How addresses become coordinates."""

    def group(self, code: int) -> StoreGroupConfig | None:
        return next((g for g in self.store_groups if g.code == code), None)

    def tour(self, code: str) -> TourConfig | None:
        return next((t for t in self.tours if t.code == code), None)

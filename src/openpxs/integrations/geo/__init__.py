"""Geocoding: from a postal address to coordinates, through a provider interface.

Two providers: ``OfflineGeocoder`` (no network: a small gazetteer of US ZIP code
centroids shipped with the server) and ``NominatimGeocoder`` (any server speaking the
Nominatim search API, at a configurable address).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class AddressQuery:
    """The address to locate; ``state`` is a two-letter code or a full name, ``country``
    an ISO 3166 alpha-2 code (already normalised by the use case)."""

    street: str
    city: str
    state: str
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class GeoMatch:
    latitude: Decimal
    longitude: Decimal
    # True when the position is that of the address itself (a building), False when it
    # is only near it (a street, a ZIP code's middle, a town).
    exact: bool


class GeocoderUnavailable(Exception):
    """The provider could not be asked or did not answer sensibly (not: no match)."""


class Geocoder(Protocol):
    async def locate(self, query: AddressQuery) -> GeoMatch | None:
        """The address's position, or None when the provider knows no such place."""
        ...

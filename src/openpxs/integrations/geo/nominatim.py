"""A geocoder that asks a Nominatim-compatible server (OpenStreetMap's search API).

It sends a structured query (``/search?street=...&city=...&state=...&postalcode=...
&countrycodes=...&format=jsonv2&limit=1``) and takes the best result. Nominatim ranks
places by how precise they are (``place_rank``, 30 for a building or a house number);
the match is exact at that rank, approximate above a street's level.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from openpxs.integrations.geo import AddressQuery, GeocoderUnavailable, GeoMatch

# Nominatim's rank of a house number or building: the address itself.
ADDRESS_RANK = 30


class NominatimGeocoder:
    def __init__(
        self,
        base_url: str,
        *,
        user_agent: str = "OpenPXS",
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user_agent = user_agent
        self.timeout = timeout
        self.transport = transport

    def params(self, query: AddressQuery) -> dict[str, str]:
        params = {
            "street": query.street,
            "city": query.city,
            "state": query.state,
            "format": "jsonv2",
            "limit": "1",
        }
        if query.postal_code:
            params["postalcode"] = query.postal_code
        if query.country:
            params["countrycodes"] = query.country.lower()
        return params

    async def locate(self, query: AddressQuery) -> GeoMatch | None:
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout,
                transport=self.transport,
                headers={"User-Agent": self.user_agent, "Accept": "application/json"},
            ) as client:
                response = await client.get(f"{self.base_url}/search", params=self.params(query))
        except httpx.HTTPError as exc:
            raise GeocoderUnavailable(f"geocoder unreachable: {exc}") from exc
        if response.status_code != 200:
            raise GeocoderUnavailable(f"geocoder answered HTTP {response.status_code}")
        try:
            results = response.json()
        except ValueError as exc:
            raise GeocoderUnavailable("geocoder answered something other than JSON") from exc
        if not isinstance(results, list):
            raise GeocoderUnavailable("geocoder answered something other than a list")
        return _first_match(results)


def _first_match(results: list[Any]) -> GeoMatch | None:
    if not results:
        return None
    best = results[0]
    if not isinstance(best, dict):
        raise GeocoderUnavailable("geocoder result is not an object")
    try:
        # Nominatim sends coordinates as strings: read them as decimals, not floats.
        latitude = Decimal(str(best["lat"]))
        longitude = Decimal(str(best["lon"]))
        rank = int(best.get("place_rank", 0))
    except (KeyError, InvalidOperation, TypeError, ValueError) as exc:
        raise GeocoderUnavailable("geocoder result has no readable position") from exc
    if not (latitude.is_finite() and longitude.is_finite()):
        raise GeocoderUnavailable("geocoder result has no readable position")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise GeocoderUnavailable("geocoder result is off the globe")
    return GeoMatch(latitude, longitude, exact=rank >= ADDRESS_RANK)

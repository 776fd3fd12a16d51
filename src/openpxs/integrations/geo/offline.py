"""The built-in geocoder: the middle of the address's US ZIP code, from a gazetteer of a
few hundred ZIP codes shipped with the server (us_zip_centroids.csv says which).

No network and no street-level data: a match is always approximate (exactMatch false).
Without a known ZIP code, the first ZIP code of the city and state is used.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import cache
from importlib.resources import files

from openpxs.integrations.geo import AddressQuery, GeoMatch


@cache
def _gazetteer() -> tuple[dict[str, GeoMatch], dict[tuple[str, str], GeoMatch]]:
    text = files("openpxs.integrations.geo").joinpath("us_zip_centroids.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    by_zip: dict[str, GeoMatch] = {}
    by_city: dict[tuple[str, str], GeoMatch] = {}
    for row in rows:
        match = GeoMatch(Decimal(row["latitude"]), Decimal(row["longitude"]), exact=False)
        by_zip[row["zip"]] = match
        # Rows are in ZIP order: a city's first ZIP code stands for the city.
        by_city.setdefault((row["city"].casefold(), row["state"]), match)
    return by_zip, by_city


def known_zip_codes() -> frozenset[str]:
    return frozenset(_gazetteer()[0])


class OfflineGeocoder:
    """Approximate positions of US addresses from their ZIP code or city."""

    async def locate(self, query: AddressQuery) -> GeoMatch | None:
        if query.country not in (None, "US"):
            return None
        by_zip, by_city = _gazetteer()
        if query.postal_code:
            found = by_zip.get(query.postal_code.strip()[:5])
            if found is not None:
                return found
        return by_city.get((query.city.strip().casefold(), query.state))

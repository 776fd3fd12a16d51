"""Distances on the Earth and the box that holds every point within one.

The store locator measures great-circle distance (haversine) on a sphere of the Earth's
mean radius, in miles: within 0.5% of the ellipsoid everywhere, more than a store
locator needs. The box lets the database discard far stores by an indexed range on
latitude before any distance is computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# IUGG mean Earth radius, 6371.0088 km, in international miles.
EARTH_RADIUS_MILES = 6371.0088 / 1.609344


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min(): rounding can carry h a hair past 1 for antipodal points.
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Box:
    """Latitude and longitude ranges (degrees) holding every point within a distance.

    ``lon_ranges`` has two ranges when the box crosses the 180th meridian and one
    covering every longitude when it reaches a pole.
    """

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]

    @property
    def all_longitudes(self) -> bool:
        return self.lon_ranges == ((-180.0, 180.0),)

    def holds(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and any(
            low <= lon <= high for low, high in self.lon_ranges
        )


def bounding_box(lat: float, lon: float, miles: float) -> Box:
    """The smallest latitude/longitude box holding the circle of ``miles`` around a point.

    The longitude half-width is the one at the circle's widest (its tangent points), not
    at the centre's latitude, so no point of the circle falls outside (J. P. Matuschek,
    "Finding Points Within a Distance of a Latitude/Longitude Using Bounding Coordinates").
    """
    if miles < 0:
        raise ValueError("a distance cannot be negative")
    angular = miles / EARTH_RADIUS_MILES
    phi = math.radians(lat)
    min_phi, max_phi = phi - angular, phi + angular
    if min_phi <= -math.pi / 2 or max_phi >= math.pi / 2 or angular >= math.pi:
        # The circle holds a pole: every longitude is in reach.
        return Box(
            max(-90.0, math.degrees(min_phi)),
            min(90.0, math.degrees(max_phi)),
            ((-180.0, 180.0),),
        )
    half_width = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(phi))))
    west, east = lon - half_width, lon + half_width
    if west < -180.0:
        ranges: tuple[tuple[float, float], ...] = ((west + 360.0, 180.0), (-180.0, east))
    elif east > 180.0:
        ranges = ((west, 180.0), (-180.0, east - 360.0))
    else:
        ranges = ((west, east),)
    return Box(math.degrees(min_phi), math.degrees(max_phi), ranges)

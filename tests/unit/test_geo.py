"""Great-circle distance and the search box around a point (domain.geo)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpxs.domain.geo import EARTH_RADIUS_MILES, bounding_box, distance_miles

BOSTON = (42.3601, -71.0589)
NEW_YORK = (40.7128, -74.0060)


def test_a_point_is_no_distance_from_itself() -> None:
    assert distance_miles(*BOSTON, *BOSTON) == 0.0


def test_boston_to_new_york_is_about_190_miles() -> None:
    # The published great-circle figure between the two city halls is 190 miles.
    assert distance_miles(*BOSTON, *NEW_YORK) == pytest.approx(190.2, abs=0.5)


def test_distance_is_symmetric() -> None:
    assert distance_miles(*BOSTON, *NEW_YORK) == distance_miles(*NEW_YORK, *BOSTON)


def test_one_degree_of_latitude_is_about_69_miles() -> None:
    assert distance_miles(0, 0, 1, 0) == pytest.approx(2 * math.pi * EARTH_RADIUS_MILES / 360)
    assert distance_miles(0, 0, 1, 0) == pytest.approx(69.09, abs=0.01)


def test_antipodes_are_half_the_circumference_apart() -> None:
    assert distance_miles(10, 20, -10, -160) == pytest.approx(math.pi * EARTH_RADIUS_MILES)


def test_the_box_of_a_small_circle_is_small() -> None:
    box = bounding_box(*BOSTON, 10)
    assert box.max_lat - box.min_lat == pytest.approx(2 * 10 / 69.09, rel=1e-3)
    ((west, east),) = box.lon_ranges
    # A degree of longitude is shorter at 42 degrees north: the box is wider in degrees.
    assert east - west > box.max_lat - box.min_lat
    assert box.holds(*BOSTON)
    assert not box.holds(*NEW_YORK)


def test_a_box_across_the_180th_meridian_has_two_longitude_ranges() -> None:
    box = bounding_box(0, 179.9, 50)
    assert len(box.lon_ranges) == 2
    assert box.holds(0, -179.8)
    assert box.holds(0, 179.5)
    assert not box.holds(0, 0)


def test_a_box_reaching_a_pole_holds_every_longitude() -> None:
    box = bounding_box(89.5, 0, 100)
    assert box.all_longitudes
    assert box.max_lat == 90.0
    assert box.holds(89.9, 179)


def test_a_negative_distance_is_refused() -> None:
    with pytest.raises(ValueError):
        bounding_box(0, 0, -1)


@given(
    lat=st.floats(-85, 85),
    lon=st.floats(-180, 180),
    miles=st.floats(0.01, 2000),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 0.999),
)
def test_every_point_within_the_distance_is_in_the_box(
    lat: float, lon: float, miles: float, bearing: float, fraction: float
) -> None:
    # The point at ``fraction`` of the distance along ``bearing`` (spherical destination).
    angular = miles * fraction / EARTH_RADIUS_MILES
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(angular) + math.cos(phi1) * math.sin(angular) * math.cos(bearing)
    )
    lambda2 = lambda1 + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(phi1),
        math.cos(angular) - math.sin(phi1) * math.sin(phi2),
    )
    lat2 = math.degrees(phi2)
    lon2 = (math.degrees(lambda2) + 540) % 360 - 180
    assert distance_miles(lat, lon, lat2, lon2) <= miles * 1.000001
    box = bounding_box(lat, lon, miles)
    # A hair of slack for floating point at the box's edge.
    assert box.min_lat - 1e-9 <= lat2 <= box.max_lat + 1e-9
    assert box.all_longitudes or any(
        low - 1e-9 <= lon2 <= high + 1e-9 for low, high in box.lon_ranges
    )

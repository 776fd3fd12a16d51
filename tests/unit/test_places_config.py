"""Stores' places settings and the places section of the program file: values,
cross-checks, and the line each error points at."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpxs.config import ConfigError, load_config

BASE = """\
merchant:
  id: 7
  name: Test
  timezone: Europe/Paris
programs:
  - code: SV
    name: Stored Value
stores:
  - code: "1"
    name: One
    latitude: 42.5
    longitude: -71.25
    phone: "617-555-0101"
    hours: "M-F: 9-5"
    groups: [north]
    metadata:
      - hasPatio: true
"""


def _errors(tmp_path: Path, text: str) -> list[tuple[str, int | None, str]]:
    path = tmp_path / "merchant.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [(issue.field, issue.line, issue.reason) for issue in info.value.issues]


def test_a_store_with_coordinates_hours_phone_and_metadata_loads(tmp_path: Path) -> None:
    path = tmp_path / "merchant.yaml"
    path.write_text(BASE + "places:\n  store_groups:\n    - code: 4\n      name: north\n")
    config = load_config(path)
    store = config.stores[0]
    assert (str(store.latitude), str(store.longitude)) == ("42.5", "-71.25")
    assert store.phone_digits() == "6175550101"
    assert store.metadata == [{"hasPatio": True}]
    group = config.places.group(4)
    assert group is not None and group.name == "north"


def test_a_latitude_out_of_range_names_its_line(tmp_path: Path) -> None:
    [(field, line, reason)] = _errors(tmp_path, BASE.replace("latitude: 42.5", "latitude: 91"))
    assert (field, line) == ("stores[0].latitude", 11)
    assert "90" in reason


def test_one_coordinate_without_the_other_is_refused(tmp_path: Path) -> None:
    [(field, line, reason)] = _errors(tmp_path, BASE.replace("    longitude: -71.25\n", ""))
    assert field == "stores[0]"
    assert line == 9
    assert "both latitude and longitude" in reason


def test_metadata_entries_hold_one_key_each(tmp_path: Path) -> None:
    text = BASE.replace("      - hasPatio: true\n", "      - hasPatio: true\n        wifi: true\n")
    [(field, line, reason)] = _errors(tmp_path, text)
    assert (field, line) == ("stores[0].metadata[0]", 17)
    assert "exactly one key" in reason


def test_store_group_codes_are_unique(tmp_path: Path) -> None:
    text = BASE + (
        "places:\n  store_groups:\n    - code: 4\n      name: north\n"
        "    - code: 4\n      name: south\n"
    )
    [(field, line, reason)] = _errors(tmp_path, text)
    assert (field, line) == ("places.store_groups[1]", 22)
    assert "already used" in reason


def test_check_in_short_numbers_are_two_to_six_digits(tmp_path: Path) -> None:
    text = BASE + "places:\n  checkin:\n    store_short_length: 7\n"
    [(field, line, _)] = _errors(tmp_path, text)
    assert (field, line) == ("places.checkin.store_short_length", 20)


def test_a_tour_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    text = BASE + (
        "places:\n  tours:\n    - code: ales\n      name: Ales\n"
        "      start_date: 2026-05-01\n      end_date: 2026-04-01\n"
        "      items:\n        - item_code: '101'\n"
    )
    [(field, line, reason)] = _errors(tmp_path, text)
    assert (field, line) == ("places.tours[0]", 20)
    assert "before start_date" in reason


def test_a_nominatim_geocoder_needs_an_http_url(tmp_path: Path) -> None:
    text = BASE + "places:\n  geocoder:\n    kind: nominatim\n    base_url: ftp://x\n"
    [(field, line, _)] = _errors(tmp_path, text)
    assert field.startswith("places.geocoder")
    assert line == 21

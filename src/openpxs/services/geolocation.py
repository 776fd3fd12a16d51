"""Geolocation Service (geolocation.yaml): a postal address to coordinates.

The merchant's program chooses the provider (``places.geocoder``): the offline
gazetteer by default, or a Nominatim-compatible server. The use case checks and
normalises the address (state and country by code or name) before any provider sees
it, so every provider gets the same clean query.
"""

from __future__ import annotations

from openpxs.config.places import GeocoderConfig, NominatimGeocoderConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.postal import country_code, state_code
from openpxs.integrations.geo import AddressQuery, Geocoder, GeocoderUnavailable, GeoMatch
from openpxs.integrations.geo.nominatim import NominatimGeocoder
from openpxs.integrations.geo.offline import OfflineGeocoder

LONGEST = 200


def geocoder_for(config: GeocoderConfig) -> Geocoder:
    if isinstance(config, NominatimGeocoderConfig):
        return NominatimGeocoder(
            config.base_url, user_agent=config.user_agent, timeout=config.timeout_seconds
        )
    return OfflineGeocoder()


def _text(value: str | None, name: str, *, required: bool) -> str | None:
    cleaned = " ".join(value.split()) if value is not None else ""
    if not cleaned:
        if required:
            raise Refused(Reason.INVALID_REQUEST, f"{name} is required")
        return None
    if len(cleaned) > LONGEST:
        raise Refused(Reason.INVALID_REQUEST, f"{name} is longer than {LONGEST} characters")
    return cleaned


def address_query(
    street: str | None,
    city: str | None,
    state_province: str | None,
    postal_code: str | None,
    country: str | None,
) -> AddressQuery:
    """The address as providers take it, or an invalid-input refusal."""
    street_text = _text(street, "address", required=True)
    city_text = _text(city, "city", required=True)
    state_text = _text(state_province, "stateProvince", required=True)
    postal = _text(postal_code, "postalCode", required=False)
    country_text = _text(country, "country", required=False)
    assert street_text and city_text and state_text
    code = country_code(country_text)
    if country_text is not None and code is None:
        raise Refused(Reason.INVALID_REQUEST, f"unknown country {country_text!r}")
    state = state_code(state_text, code)
    if state is None:
        raise Refused(Reason.INVALID_REQUEST, f"unknown state or province {state_text!r}")
    return AddressQuery(street_text, city_text, state, postal, code)


async def coordinates_by_address(geocoder: Geocoder, query: AddressQuery) -> GeoMatch:
    try:
        found = await geocoder.locate(query)
    except GeocoderUnavailable as exc:
        raise Refused(Reason.SYSTEM_ERROR, str(exc)) from exc
    if found is None:
        raise Refused(Reason.ADDRESS_NOT_LOCATED)
    return found

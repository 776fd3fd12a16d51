"""Names of places in postal addresses: US states and Canadian provinces by code or
name, and the ways guests write a country."""

from __future__ import annotations

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}  # fmt: skip

CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip

COUNTRIES = {
    "US": ("us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"),
    "CA": ("ca", "can", "canada"),
}


def _by_name(codes: dict[str, str]) -> dict[str, str]:
    found = {code.casefold(): code for code in codes}
    found.update({name.casefold(): code for code, name in codes.items()})
    return found


_STATES = {"US": _by_name(US_STATES), "CA": _by_name(CA_PROVINCES)}
_COUNTRIES = {alias: code for code, aliases in COUNTRIES.items() for alias in aliases}


def country_code(text: str | None) -> str | None:
    """``US`` for "USA" or "United States of America"; any other two letters as they
    are (upper case); None for no country or one not recognised."""
    if text is None or not text.strip():
        return None
    cleaned = " ".join(text.split()).casefold()
    if cleaned in _COUNTRIES:
        return _COUNTRIES[cleaned]
    return cleaned.upper() if len(cleaned) == 2 and cleaned.isalpha() else None


def state_code(text: str, country: str | None) -> str | None:
    """The two-letter code of a US state or Canadian province given by code or name
    (either country when none is given); the text itself for other countries; None when
    a US or Canadian one is not recognised."""
    cleaned = " ".join(text.split()).casefold()
    if country is not None and country not in _STATES:
        return " ".join(text.split())
    for candidate in (country,) if country else ("US", "CA"):
        found = _STATES[candidate or "US"].get(cleaned)
        if found is not None:
            return found
    return None

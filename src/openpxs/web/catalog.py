"""The guest website's texts: a message catalog per language (English first), read once.

A page never holds a sentence of its own: it names a key, and the merchant's theme may
replace any key's text (``guest.website.theme.texts``). Kept free of the rest of the
package so the program file's validation can check those keys.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

DEFAULT_LANGUAGE = "en"


@cache
def catalog(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    text = resources.files("openpxs.web").joinpath(f"messages/{language}.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return {str(key): str(value) for key, value in loaded.items()}


def known_keys() -> frozenset[str]:
    return frozenset(catalog())

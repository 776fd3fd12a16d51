"""The guest website's section of the program file and the redirect flow's request
rules (domain.authorization)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from openpxs.config import DEMO_CONFIG_FILES, MerchantConfig
from openpxs.config.website import WebsiteConfig, contrast
from openpxs.domain.authorization import AuthorizationRefused, check_request, s256

SITE: dict[str, Any] = {
    "integration": "demo-web",
    "sso": [{"integration": "demo-app", "redirect_uris": ["https://app.example/cb?x=1"]}],
}


def demo_with(**website: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO_CONFIG_FILES[0].read_text(encoding="utf-8"))
    data["guest"]["website"].update(website)
    return data


def test_contrast_follows_wcag() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#ffffff") < 4.5 < contrast("#595959", "#ffffff")


@pytest.mark.parametrize(
    ("theme", "message"),
    [
        ({"text_colour": "#999999"}, "text_colour on background_colour"),
        ({"primary_colour": "#88ccff"}, "white text on primary_colour"),
        ({"texts": {"no.such.key": "x"}}, "unknown message keys: no.such.key"),
        ({"logo_url": "http://cdn.example/logo.png"}, "https URL"),
    ],
)
def test_an_unreadable_or_unknown_theme_is_refused(theme: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebsiteConfig.model_validate({**SITE, "theme": theme})


def test_redirect_uris_are_absolute_without_a_fragment() -> None:
    for uri in ("/callback", "ftp://app.example/cb", "https://app.example/cb#x"):
        sso = [{"integration": "demo-app", "redirect_uris": [uri]}]
        with pytest.raises(ValidationError):
            WebsiteConfig.model_validate({**SITE, "sso": sso})


def test_the_site_names_what_the_file_declares() -> None:
    MerchantConfig.model_validate(demo_with())
    with pytest.raises(ValidationError) as found:
        MerchantConfig.model_validate(
            demo_with(integration="demo-pos", card_template=9, store="nowhere")
        )
    text = str(found.value)
    assert "guest.website.integration: integration 'demo-pos' with the oauth style" in text
    assert "guest.website.card_template: card template 9 is not declared" in text
    assert "guest.website.store: store 'nowhere' is not declared" in text


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_request_is_checked_client_and_redirect_first() -> None:
    site = WebsiteConfig.model_validate(SITE)
    good = {
        "response_type": "code",
        "client_id": "demo-app",
        "redirect_uri": "https://app.example/cb?x=1",
        "scope": "account_read",
        "state": "s",
    }
    assert check_request(site, good).scope == "account_read"
    for bad, error, redirect in (
        ({"client_id": "nobody", "response_type": "token"}, "unauthorized_client", False),
        (
            {"redirect_uri": "https://app.example/cb", "response_type": "token"},
            "invalid_request",
            False,
        ),
        ({"response_type": "token"}, "unsupported_response_type", True),
        ({"scope": "account_read region_event_post"}, "invalid_scope", True),
        ({"code_challenge": "x" * 43}, "invalid_request", True),  # no method: plain
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", True),
    ):
        with pytest.raises(AuthorizationRefused) as refused:
            check_request(site, {**good, **bad})
        assert (refused.value.error, refused.value.redirect) == (error, redirect), bad

"""Rendering pages: Jinja2 templates (autoescaped) with the merchant's texts and theme."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from openpxs.web.catalog import catalog
from openpxs.web.protection import (
    SEED_COOKIE,
    ProcessorScript,
    Protection,
    new_seed,
    secure_headers,
    set_cookie,
)
from openpxs.web.site import Site

_env = Environment(
    loader=PackageLoader("openpxs.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class Texts:
    """The catalog's texts with the merchant's replacements; ``t(key, name=...)``."""

    def __init__(self, site: Site | None) -> None:
        self._texts = dict(catalog())
        if site is not None:
            self._texts.update(site.config.theme.texts)

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts[key]
        return text.format(**values) if values else text


def site_name(site: Site) -> str:
    return site.config.theme.name or site.program.name


def page(
    request: Request,
    site: Site | None,
    template: str,
    *,
    status: int = 200,
    signed_in: bool = False,
    form_targets: tuple[str, ...] = (),
    processor: ProcessorScript | None = None,
    **context: Any,
) -> Response:
    """A page of the guest website, with a CSRF token for its forms."""
    return protected_page(
        request,
        _env,
        template,
        cookie_path=site.base + "/" if site is not None else None,
        status=status,
        form_targets=form_targets,
        processor=processor,
        site=site,
        name=site_name(site) if site is not None else "OpenPXS",
        t=Texts(site),
        signed_in=signed_in,
        **context,
    )


def protected_page(
    request: Request,
    env: Environment,
    template: str,
    *,
    cookie_path: str | None,
    status: int = 200,
    form_targets: tuple[str, ...] = (),
    processor: ProcessorScript | None = None,
    **context: Any,
) -> Response:
    """A server-rendered page with the site's security headers and a CSRF token for its
    forms (``csrf_token``), keyed by the browser's seed cookie; a browser without one
    gets a new seed cookie at ``cookie_path`` (none when it is None). The guest website
    and the operator console render every page through here."""
    protection: Protection = request.app.state.site_protection
    seed = request.cookies.get(SEED_COOKIE)
    fresh = seed is None
    if seed is None:
        seed = new_seed()
    body = env.get_template(template).render(csrf_token=protection.token_for(seed), **context)
    response = HTMLResponse(body, status_code=status)
    if fresh and cookie_path is not None:
        set_cookie(response, SEED_COOKIE, seed, cookie_path, secure_cookies(request))
    return secure_headers(response, form_targets, processor)


def secure_cookies(request: Request) -> bool:
    addresses = request.app.state.runtime.addresses
    over_tls: bool = addresses.over_tls(request)
    return over_tls

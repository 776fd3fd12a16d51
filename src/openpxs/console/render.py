"""Rendering the console's pages: its own templates (autoescaped), through the guest
website's protected rendering (security headers, CSRF token and seed cookie)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response

from openpxs.console.registry import ConsolePage, View
from openpxs.console.session import BASE, COOKIE_PATH
from openpxs.domain.operators import Operator
from openpxs.web.render import protected_page


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


_env = Environment(
    loader=PackageLoader("openpxs.console", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = _when


def navigation(pages: Iterable[ConsolePage], operator: Operator | None) -> list[tuple[str, str]]:
    """The pages listed in the navigation that the operator's role may open."""
    if operator is None:
        return []
    return [
        (p.nav, f"{BASE}/{p.path}")
        for p in pages
        if p.nav and (p.permission is None or operator.may(p.permission))
    ]


def render(
    request: Request,
    view: View,
    operator: Operator | None,
    nav: list[tuple[str, str]],
) -> Response:
    context: dict[str, Any] = {
        "base": BASE,
        "operator": operator,
        "nav": nav,
        "current": request.url.path,
        **view.context,
    }
    return protected_page(
        request, _env, view.template, cookie_path=COOKIE_PATH, status=view.status, **context
    )

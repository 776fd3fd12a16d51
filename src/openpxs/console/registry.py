"""The console's pages: each names its address under /console/, the permission its
operator needs and what it does for GET and POST. A module adds pages by listing them
(``PAGES``) and ``console.routes`` gathers every list, so a new page is one entry.

A handler answers a ``View`` (a template and its values, rendered with the console's
frame and navigation) or any response (a redirect, a download).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.operators import Operator, Permission


@dataclass(frozen=True)
class View:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


Answer = View | Response
Show = Callable[[Request, Operator], Awaitable[Answer]]
Submit = Callable[[Request, Operator, dict[str, str]], Awaitable[Answer]]


@dataclass(frozen=True)
class ConsolePage:
    # Under /console/, as a Starlette path pattern ("guests/{account_id:int}").
    path: str
    # What the operator's role must allow; None: any signed-in operator.
    permission: Permission | None
    show: Show | None = None
    # A form's target; its CSRF token is checked before it runs.
    submit: Submit | None = None
    # The label of the page in the navigation, if it is listed there.
    nav: str | None = None

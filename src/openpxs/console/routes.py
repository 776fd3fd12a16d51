"""The console's routes at /console/: signing in and out, its stylesheet, and every
page of the registry (``PAGES``), each held to its permission.

A request without a live session is sent to the sign-in page; an operator whose role
does not allow a page gets a 403 page and nothing runs; a form without its CSRF token
is refused with 403 before anything is read from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpxs.console import audit, guests, health, operators, outbox, program, reports, signin
from openpxs.console.registry import Answer, ConsolePage, View
from openpxs.console.render import navigation, render
from openpxs.console.session import BASE, signed_in
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.operators import Operator
from openpxs.web.forms import FormTooLarge, read_form, see_other
from openpxs.web.protection import CSRF_FIELD, Protection, secure_headers

# Every page of the console; a module of pages adds its list here.
PAGES: list[ConsolePage] = [
    *guests.PAGES,
    *audit.PAGES,
    *operators.PAGES,
    *program.PAGES,
    *reports.PAGES,
    *outbox.PAGES,
    *health.PAGES,
]

_STYLESHEET = resources.files("openpxs.console").joinpath("static/console.css").read_bytes()


def _answer(request: Request, answer: Answer, operator: Operator | None) -> Response:
    if isinstance(answer, View):
        return render(request, answer, operator, navigation(PAGES, operator))
    return answer


def _error(request: Request, operator: Operator | None, status: int, message: str) -> Response:
    return _answer(request, View("error.html", {"message": message}, status), operator)


async def _form(request: Request, operator: Operator | None) -> dict[str, str] | Response:
    """The posted form, or the refusal of a form too large or without its CSRF token."""
    try:
        form = await read_form(request)
    except FormTooLarge:
        return secure_headers(Response("Form too large", status_code=413))
    protection: Protection = request.app.state.site_protection
    if not protection.form_valid(request, form.get(CSRF_FIELD)):
        return _error(
            request,
            operator,
            403,
            "The form had expired or did not come from this console: load the page and try again.",
        )
    return form


def _endpoint(page: ConsolePage) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        operator = await signed_in(request)
        if operator is None:
            return see_other(f"{BASE}/signin")
        if page.permission is not None and not operator.may(page.permission):
            return _error(
                request,
                operator,
                403,
                f"Your role ({operator.role.value}) does not allow this. Nothing was changed.",
            )
        try:
            if request.method == "POST" and page.submit is not None:
                form = await _form(request, operator)
                if isinstance(form, Response):
                    return form
                return _answer(request, await page.submit(request, operator, form), operator)
            if request.method == "GET" and page.show is not None:
                return _answer(request, await page.show(request, operator), operator)
        except DomainError as refused:
            if refused.reason == Reason.INVALID_TOKEN:  # the session ended meanwhile
                return see_other(f"{BASE}/signin")
            return _error(request, operator, 400, guests.refusal_text(refused))
        return _error(request, operator, 405, "This page does not take that request.")

    return serve


async def _home(request: Request) -> Response:
    operator = await signed_in(request)
    if operator is None:
        return see_other(f"{BASE}/signin")
    pages = navigation(PAGES, operator)
    return see_other(pages[0][1] if pages else f"{BASE}/signin")


async def _signin(request: Request) -> Response:
    if request.method == "POST":
        form = await _form(request, None)
        if isinstance(form, Response):
            return form
        return _answer(request, await signin.signin_form(request, form), None)
    return _answer(request, await signin.signin_page(request), None)


async def _signout(request: Request) -> Response:
    form = await _form(request, None)
    if isinstance(form, Response):
        return form
    return await signin.signout(request, form)


async def _stylesheet(request: Request) -> Response:
    response = Response(_STYLESHEET, media_type="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def _not_found(request: Request) -> Response:
    return _error(request, await signed_in(request), 404, "There is no such page.")


ROUTES = [
    Route(f"{BASE}/", _home, methods=["GET"]),
    Route(BASE, _home, methods=["GET"]),
    Route(f"{BASE}/signin", _signin, methods=["GET", "POST"]),
    Route(f"{BASE}/signout", _signout, methods=["POST"]),
    Route(f"{BASE}/static/console.css", _stylesheet, methods=["GET"]),
    *(Route(f"{BASE}/{page.path}", _endpoint(page), methods=["GET", "POST"]) for page in PAGES),
    Route(BASE + "/{rest:path}", _not_found, methods=["GET", "POST"]),
]

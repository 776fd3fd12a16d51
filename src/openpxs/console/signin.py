"""Signing operators in and out of the console.

The password is checked before the sign-in's transaction (as the API's password grant
does), then the sign-in counts a miss against the same limits as a guest's. A new
session replaces the one the browser held, and a new CSRF seed replaces the old one:
nothing from before the sign-in survives it.
"""

from __future__ import annotations

from contextlib import suppress

from starlette.requests import Request
from starlette.responses import Response

from openpxs import security
from openpxs.console.registry import Answer, View
from openpxs.console.session import BASE, COOKIE_PATH, SESSION_COOKIE, run_unit
from openpxs.domain.errors import DomainError, InvalidMerchant, Reason
from openpxs.domain.program import Program
from openpxs.services import operators
from openpxs.services.operators import SignedIn
from openpxs.store.uow import UnitOfWork, reading
from openpxs.web.forms import see_other
from openpxs.web.protection import SEED_COOKIE, drop_cookie, new_seed, set_cookie
from openpxs.web.render import secure_cookies
from openpxs.web.site import runtime_of

FAILED = "The merchant, e-mail, password or code did not match an operator."
LOCKED = "Too many failed sign-ins: wait a few minutes and try again."


def signin_view(
    *, status: int = 200, error: str | None = None, notice: str | None = None, **values: str
) -> View:
    fields = {"merchant": "", "email": "", **values}
    return View("signin.html", {"error": error, "notice": notice, **fields}, status)


async def signin_page(request: Request) -> Answer:
    notice = "You are signed out." if request.query_params.get("signed_out") else None
    return signin_view(notice=notice)


async def _program(request: Request, merchant: str) -> Program | None:
    if not merchant.strip().isdigit() or len(merchant.strip()) > 9:
        return None
    async with reading(runtime_of(request).engine) as uow:
        try:
            return await uow.programs.load(int(merchant))
        except InvalidMerchant:
            return None


async def signin_form(request: Request, form: dict[str, str]) -> Answer:
    merchant, email = form.get("merchant", "").strip(), form.get("email", "").strip()
    password, code = form.get("password", ""), form.get("code", "")
    refused = signin_view(status=400, error=FAILED, merchant=merchant, email=email)
    program = await _program(request, merchant)
    if program is None or not email:
        return refused
    runtime = runtime_of(request)
    source = runtime.addresses.of(request)
    async with reading(runtime.engine) as uow:
        stored = await operators.password_to_check(uow, program, email, runtime.clock.now(), source)
    if stored is not None:
        await security.check_ahead(stored, password)
    old = request.cookies.get(SESSION_COOKIE)

    async def sign_in(uow: UnitOfWork) -> SignedIn:
        return await operators.sign_in(
            uow, program, email, password, code, runtime.clock.now(), source, ending=old
        )

    try:
        done = await run_unit(request, sign_in)
    except DomainError as error:
        if error.reason == Reason.ACCOUNT_LOCKED:
            return signin_view(status=400, error=LOCKED, merchant=merchant, email=email)
        return refused
    response = see_other(f"{BASE}/")
    secure = secure_cookies(request)
    set_cookie(response, SESSION_COOKIE, done.token, COOKIE_PATH, secure, done.expires_in)
    set_cookie(response, SEED_COOKIE, new_seed(), COOKIE_PATH, secure)
    return response


async def signout(request: Request, form: dict[str, str]) -> Response:
    runtime = runtime_of(request)

    async def end(uow: UnitOfWork) -> None:
        await operators.sign_out(
            uow,
            request.cookies.get(SESSION_COOKIE),
            runtime.clock.now(),
            runtime.addresses.of(request),
        )

    with suppress(DomainError):
        await run_unit(request, end)
    response = see_other(f"{BASE}/signin?signed_out=1")
    secure = secure_cookies(request)
    drop_cookie(response, SESSION_COOKIE, COOKIE_PATH, secure)
    drop_cookie(response, SEED_COOKIE, COOKIE_PATH, secure)
    return response

"""Forgotten passwords: asking for a reset code by e-mail (or by text message, when the
program allows it), then choosing a new password with it.

Both forms run the API's use cases (``services.password_reset``, as
guestmanagement/generateAndSendGuestResetPasswordCode.json and resetPassword.json),
for no one in particular, as the app's public credential does: the first form's reply
is the same whether the account exists, has an address or was sent enough codes lately
(no enumeration), and wrong codes are counted per client address.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import password_reset
from openpxs.services.context import Call
from openpxs.services.password_reset import Identifier
from openpxs.web.forms import see_other
from openpxs.web.render import page
from openpxs.web.site import Site, run

# What the sign-in page says after a reset (routes: signin?reset=1).
RESET_NOTICE = "reset.done"


def _identifier(given: str) -> Identifier:
    """The one field takes a username or an e-mail address: an address has an "@"."""
    return Identifier("email" if "@" in given else "username", given)


def texts_codes(site: Site) -> bool:
    """Whether the forgot page offers a code by text message (the program allows it)."""
    return site.program.guest.messages.reset_by_sms


def forgot_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    error: str | None = None,
    given: str = "",
    channel: str = "email",
) -> Response:
    return page(
        request,
        site,
        "forgot.html",
        status=status,
        error=error,
        given=given,
        by_sms=texts_codes(site),
        channel=channel,
    )


async def forgot(request: Request, site: Site) -> Response:
    return forgot_page(request, site)


async def forgot_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    given = form.get("identifier", "").strip()
    # Whether the account has a mobile phone is not told: a text asked for where there
    # is none is answered as a mail is where there is no address.
    channel: password_reset.Channel = (
        "sms" if form.get("channel") == "sms" and texts_codes(site) else "email"
    )
    if not given:
        return forgot_page(request, site, status=400, error="forgot.missing", channel=channel)

    async def ask(call: Call) -> None:
        await password_reset.request_reset(call, [_identifier(given)], channel=channel)

    try:
        await run(request, site, ask, signed_in=False)
    except DomainError as error:
        # Only this address's own asking can be refused here (too many lately); an
        # unknown account is answered as if the code had been sent.
        if error.reason == Reason.TOO_MANY_ATTEMPTS:
            return forgot_page(
                request, site, status=429, error="forgot.too_many", given=given, channel=channel
            )
        raise
    return see_other(f"{site.base}/reset?sent=1")


def reset_page(
    request: Request,
    site: Site,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    code: str = "",
    problems: list[str] | None = None,
) -> Response:
    return page(
        request,
        site,
        "reset.html",
        status=status,
        error=error,
        notice=notice,
        code=code,
        problems=problems or [],
    )


async def reset(request: Request, site: Site) -> Response:
    """The page the e-mail's code is typed in (or arrives in, from a link ``?code=``)."""
    notice = "reset.sent" if request.query_params.get("sent") else None
    code = request.query_params.get("code", "").strip()[:100]
    return reset_page(request, site, notice=notice, code=code)


async def reset_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    code, password = form.get("code", "").strip(), form.get("password", "")
    if not code:
        return reset_page(request, site, status=400, error="reset.invalid_code")

    async def complete(call: Call) -> None:
        await password_reset.complete_reset(call, code, password)

    try:
        await run(request, site, complete, signed_in=False)
    except DomainError as error:
        if error.reason == Reason.FIELD_VALIDATION:
            found = error.members.get("errorsByField", {}).get("newPassword", [])
            problems = [str(problem["message"]) for problem in found]
            # The code is still good (its use was rolled back): keep it in the form.
            return reset_page(request, site, status=400, code=code, problems=problems)
        if error.reason == Reason.TOO_MANY_ATTEMPTS:
            return reset_page(request, site, status=429, error="reset.too_many")
        if error.reason == Reason.INVALID_RESET_CODE:
            return reset_page(request, site, status=400, error="reset.invalid_code")
        raise
    # Every sign-in of the guest ended with the reset: they sign in with the new password.
    return see_other(f"{site.base}/signin?reset=1")

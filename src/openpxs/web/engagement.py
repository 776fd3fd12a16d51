"""The guest's challenges on the hosted site, over the Challenge Service's use cases
(``services.guest_engagement``) for the guest's home account, and what the engagement
pages share: running a use case for the signed-in guest, numbers as people write them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import guest_engagement
from openpxs.services.context import Call
from openpxs.web.forms import see_other
from openpxs.web.render import page
from openpxs.web.site import Site, run

T = TypeVar("T")

# Refusals of a challenge the guest may not join (any more): one message each.
JOIN_REFUSALS = {
    Reason.ALREADY_OPTED_IN: "challenges.already_joined",
    Reason.NOT_ELIGIBLE: "challenges.not_eligible",
    Reason.CHALLENGE_ENDED: "challenges.not_eligible",
    Reason.CHALLENGE_NOT_FOUND: "challenges.not_eligible",
    Reason.INVALID_CHARITABLE_ORGANIZATION: "challenges.pick_charity",
}


class SignedOut(Exception):
    """The session ended: the page sends the browser to sign in."""


async def as_guest(request: Request, site: Site, use_case: Callable[[Call], Awaitable[T]]) -> T:
    try:
        return await run(request, site, use_case, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            raise SignedOut() from None
        raise


def number(value: Decimal) -> str:
    """A count or amount as people write it: 3, 12.5."""
    normal = value.normalize()
    return f"{normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal}"


def local_day(moment: datetime, site: Site) -> str:
    local = moment.astimezone(ZoneInfo(site.program.timezone))
    return f"{local.day} {local:%B %Y}"


# --- challenges --------------------------------------------------------------------


def _board_page(
    request: Request,
    site: Site,
    board: guest_engagement.ChallengeBoard,
    *,
    status: int = 200,
    error: str | None = None,
    failed: str | None = None,
    joined: bool = False,
) -> Response:
    return page(
        request,
        site,
        "challenges.html",
        status=status,
        signed_in=True,
        board=board,
        error=error,
        failed=failed,
        joined=joined,
        number=number,
        day=lambda moment: local_day(moment, site),
    )


async def challenges(request: Request, site: Site) -> Response:
    try:
        board = await as_guest(request, site, guest_engagement.challenge_board)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    joined = bool(request.query_params.get("joined"))
    return _board_page(request, site, board, joined=joined)


async def join_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    code = form.get("challenge", "").strip()[:64]
    charity = form.get("charity", "").strip()[:64] or None

    async def join(call: Call) -> object:
        return await guest_engagement.join_challenge(call, code, charity)

    try:
        await as_guest(request, site, join)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        message = JOIN_REFUSALS.get(error.reason)
        if message is None:
            raise
        board = await as_guest(request, site, guest_engagement.challenge_board)
        return _board_page(request, site, board, status=400, error=message, failed=code)
    return see_other(f"{site.base}/challenges?joined=1")

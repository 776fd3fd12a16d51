"""The account page's "Add to Apple Wallet" and "Save to Google Wallet" buttons: each is a
link here that sends the signed-in guest on to their card's pass, made by the use cases
of applepassbook/passbookUrl and googlewallet/generateSaveToAndroidPayJWT (the pass
download link; Google's save link carrying the signed token). Another guest's card is
refused as one that does not exist."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.domain.errors import DomainError, Reason
from openpxs.services import wallet_passes
from openpxs.services.context import Call
from openpxs.web.forms import origin_of, see_other
from openpxs.web.render import page, secure_cookies
from openpxs.web.site import Site, run

# Google's page that saves the pass a signed token holds.
GOOGLE_SAVE = "https://pay.google.com/gp/v/save/"
# A card that is not the guest's, or a pass the merchant does not offer.
NO_PASS = (Reason.CARD_NOT_FOUND, Reason.WALLET_NOT_CONFIGURED, Reason.SYSTEM_ERROR)


async def _to_pass(request: Request, site: Site, kind: str) -> Response:
    card = request.query_params.get("card", "").strip()
    scheme = "https" if secure_cookies(request) else request.url.scheme
    origin = origin_of(f"{scheme}://{request.url.netloc}/")

    async def apple(call: Call) -> str:
        return await wallet_passes.passbook_url(call, card, None)

    async def google(call: Call) -> str:
        return GOOGLE_SAVE + (await wallet_passes.save_token(call, card, origin)).jwt

    try:
        target = await run(request, site, apple if kind == "apple" else google, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        if error.reason in NO_PASS:
            return page(
                request, site, "error.html", status=404, signed_in=True, message="wallet.no_pass"
            )
        raise
    return see_other(target)


async def apple_pass(request: Request, site: Site) -> Response:
    return await _to_pass(request, site, "apple")


async def google_pass(request: Request, site: Site) -> Response:
    return await _to_pass(request, site, "google")

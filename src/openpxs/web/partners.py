"""2-party SSO from the guest website: the account page lists the merchant's partner
links (guest.website.partner_links), and following one sends the guest to the partner
with a fresh authorization grant, which the partner's back end exchanges with
oauth/requestGuestToken.json (grant_type=authorization_code).

A link is followed by a form posted with its CSRF token, never by a GET: a grant is
issued only when the guest asks for it on the site, not when a browser, a mail
scanner or a preview fetches an address, and a page elsewhere cannot have one issued.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openpxs.config.website import PartnerLinkConfig
from openpxs.domain.errors import DomainError, Reason
from openpxs.services import guest_tokens
from openpxs.services.context import Call
from openpxs.services.guest_tokens import AuthorizationGrant
from openpxs.web.forms import origin_of, see_other, with_query
from openpxs.web.render import page
from openpxs.web.site import Site, client_integration, run


def partner_origins(site: Site) -> tuple[str, ...]:
    """Where the account page's partner forms may lead (its form-action)."""
    return tuple(dict.fromkeys(origin_of(link.url) for link in site.config.partner_links))


def _link(site: Site, chosen: str) -> PartnerLinkConfig | None:
    links = site.config.partner_links
    if not chosen.isdigit() or int(chosen) >= len(links):
        return None
    return links[int(chosen)]


async def partner_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    """POST partner (link=<index>): a grant for the signed-in guest, bound to the
    partner's integration and its URL, and the browser sent there with it."""
    link = _link(site, form.get("link", ""))
    client_config = site.config.client(link.integration) if link is not None else None
    if link is None or client_config is None:
        return page(request, site, "error.html", status=404, message="error.not_found")
    client = await client_integration(request, site, link.integration)
    if client is None:
        return page(
            request, site, "sso_error.html", status=400, reason="the application is not enabled"
        )
    scope, url = " ".join(client_config.scopes), link.url

    async def grant(call: Call) -> AuthorizationGrant:
        return await guest_tokens.issue_redirect_grant(call, client, scope, url, None)

    try:
        issued = await run(request, site, grant, signed_in=True)
    except DomainError as error:
        if error.reason == Reason.INVALID_TOKEN:
            return see_other(f"{site.base}/signin")
        raise
    return see_other(with_query(url, {"code": issued.code, "expires_in": str(issued.expires_in)}))

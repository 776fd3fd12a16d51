"""Reading a posted form (application/x-www-form-urlencoded) within a size limit, and
the redirects and refusals every page shares."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from openpxs.web.protection import secure_headers

# No form of the site comes near this; a larger body is refused unread.
MAX_FORM_BYTES = 64 * 1024


class FormTooLarge(Exception):
    pass


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields (the first value of each name)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge()
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def see_other(location: str) -> Response:
    """After a form, the browser loads the next page by GET (303)."""
    return secure_headers(RedirectResponse(location, status_code=303))


def with_query(uri: str, members: dict[str, str | None]) -> str:
    """``uri`` with ``members`` added to its query (RFC 6749 4.1.2: the query the client
    registered is kept)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in members.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"

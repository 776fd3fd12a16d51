"""Apple's PassKit web service and the pass download link (not PXS operations).

Wallet on the guest's device calls these with the pass's authentication token
(``Authorization: ApplePass <token>``) and reads bare HTTP statuses, as Apple's Wallet
Passes Web Service Reference gives them: 201/200 a registration made or already there,
200 unregistered, 204 no updated passes, 304 the pass is unchanged since
If-Modified-Since, 401 a wrong token. Passes name {web_service_url}/passkit as their
webServiceURL, so every route is below /passkit.
"""

from __future__ import annotations

import json
import logging
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from openpxs.services import wallet_passes
from openpxs.services.wallet_passes import PassKitRefusal
from openpxs.store.uow import unit_of_work

log = logging.getLogger("openpxs.passkit")
router = APIRouter(prefix=wallet_passes.PASSKIT_PATH, include_in_schema=False)

PKPASS = "application/vnd.apple.pkpass"
# Registration bodies and device logs are small; anything bigger is not Wallet.
BODY_LIMIT = 64 * 1024
_ID_LIMIT = 200


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme == "ApplePass" and value.strip() else None


def _refused(refusal: PassKitRefusal) -> Response:
    return Response(status_code=refusal.status)


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > BODY_LIMIT:
        raise PassKitRefusal(413, "body too large")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise PassKitRefusal(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise PassKitRefusal(400, "the body is not a JSON object")
    return data


def _check_ids(*values: str) -> None:
    if any(not v or len(v) > _ID_LIMIT for v in values):
        raise PassKitRefusal(400, "identifier too long")


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _pass_response(content: bytes, last_modified: Any) -> Response:
    return Response(
        content,
        media_type=PKPASS,
        headers={
            "Last-Modified": format_datetime(last_modified, usegmt=True),
            "Cache-Control": "no-store",
        },
    )


@router.get("/download/{serial_number}.pkpass")
async def download(request: Request, serial_number: str, token: str = "") -> Response:
    """The link applepassbook/passbookUrl hands out."""
    runtime = _runtime(request)
    try:
        _check_ids(serial_number)
        async with unit_of_work(runtime.engine) as uow:
            found = await uow.wallet_passes.by_serial("apple", serial_number)
            if found is None or not wallet_passes.token_matches(found, token):
                raise PassKitRefusal(404, "no such pass")
            program = await uow.programs.load(found.merchant_id)
            content = await wallet_passes.build_apple_pass(uow, program, found)
    except PassKitRefusal as refusal:
        return _refused(refusal)
    response = _pass_response(content, found.updated_at)
    response.headers["Content-Disposition"] = 'attachment; filename="pass.pkpass"'
    return response

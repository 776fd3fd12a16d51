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
from email.utils import format_datetime, parsedate_to_datetime
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
    if refusal.status >= 500:
        log.error("pass not served", extra={"fields": {"reason": str(refusal)}})
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


@router.post("/v1/devices/{device}/registrations/{pass_type}/{serial_number}")
async def register(request: Request, device: str, pass_type: str, serial_number: str) -> Response:
    runtime = _runtime(request)
    try:
        _check_ids(device, pass_type, serial_number)
        async with unit_of_work(runtime.engine) as uow:
            found = await wallet_passes.authorized_pass(
                uow, pass_type, serial_number, _token(request)
            )
            body = await _json_body(request)
            push_token = body.get("pushToken")
            if (
                not isinstance(push_token, str)
                or not push_token.strip()
                or len(push_token) > _ID_LIMIT
            ):
                raise PassKitRefusal(400, "pushToken is missing")
            made = await wallet_passes.register_device(
                uow, found, device, push_token.strip(), runtime.clock.now()
            )
    except PassKitRefusal as refusal:
        return _refused(refusal)
    return Response(status_code=201 if made else 200)


@router.delete("/v1/devices/{device}/registrations/{pass_type}/{serial_number}")
async def unregister(request: Request, device: str, pass_type: str, serial_number: str) -> Response:
    runtime = _runtime(request)
    try:
        _check_ids(device, pass_type, serial_number)
        async with unit_of_work(runtime.engine) as uow:
            found = await wallet_passes.authorized_pass(
                uow, pass_type, serial_number, _token(request)
            )
            await wallet_passes.unregister_device(uow, found, device)
    except PassKitRefusal as refusal:
        return _refused(refusal)
    return Response(status_code=200)


@router.get("/v1/devices/{device}/registrations/{pass_type}")
async def serials(
    request: Request, device: str, pass_type: str, passesUpdatedSince: str | None = None
) -> Response:
    runtime = _runtime(request)
    try:
        _check_ids(device, pass_type)
        async with unit_of_work(runtime.engine) as uow:
            updated = await wallet_passes.updated_serials(
                uow, device, pass_type, passesUpdatedSince
            )
    except PassKitRefusal as refusal:
        return _refused(refusal)
    if updated is None:
        return Response(status_code=204)
    body = {"serialNumbers": updated.serial_numbers, "lastUpdated": updated.last_updated}
    return Response(json.dumps(body), media_type="application/json")


@router.get("/v1/passes/{pass_type}/{serial_number}")
async def latest_pass(request: Request, pass_type: str, serial_number: str) -> Response:
    runtime = _runtime(request)
    try:
        _check_ids(pass_type, serial_number)
        async with unit_of_work(runtime.engine) as uow:
            found = await wallet_passes.authorized_pass(
                uow, pass_type, serial_number, _token(request)
            )
            changed_at = found.wallet_pass.updated_at.replace(microsecond=0)
            since = request.headers.get("if-modified-since")
            if since:
                try:
                    if changed_at <= parsedate_to_datetime(since):
                        return Response(status_code=304)
                except (TypeError, ValueError):
                    pass  # an unreadable date: send the pass
            content = await wallet_passes.build_apple_pass(uow, found.program, found.wallet_pass)
    except PassKitRefusal as refusal:
        return _refused(refusal)
    return _pass_response(content, found.wallet_pass.updated_at)


@router.post("/v1/log")
async def device_log(request: Request) -> Response:
    """Wallet reports problems with the web service here; they are logged."""
    try:
        body = await _json_body(request)
    except PassKitRefusal as refusal:
        return _refused(refusal)
    logs = body.get("logs")
    for line in logs[:50] if isinstance(logs, list) else []:
        log.warning("passkit device log", extra={"fields": {"message": str(line)[:500]}})
    return Response(status_code=200)

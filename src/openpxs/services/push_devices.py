"""Phones that receive a guest's pushes (pushmessaging.yaml), and the pushes sent to them.

A device is an app on a phone: its platform (ios, android), the app's identifier (the
iOS bundle id, which is the APNs topic, or the Android package name) and the token the
push service gave the app (an APNs device token, an FCM registration token). A token
belongs to one account at a time; an account may have several phones.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from openpxs.domain.errors import Reason, Refused
from openpxs.messaging.outbox import enqueue
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.store.uow import UnitOfWork

Platform = Literal["ios", "android"]
# The outbox channel each platform's pushes go out on.
CHANNEL_OF: dict[str, Literal["apns", "fcm"]] = {"ios": "apns", "android": "fcm"}
# Phones per account: registering one more forgets the one registered longest ago.
MAX_DEVICES = 10

# A bundle id or package name: letters, digits, dots, dashes and underscores.
_APP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# An APNs device token is hex (64 characters today; Apple says not to rely on it).
_APNS_TOKEN = re.compile(r"[0-9A-Fa-f]{32,200}")
# An FCM registration token: URL-safe base64 with a colon; no spaces, no controls.
_FCM_TOKEN = re.compile(r"[A-Za-z0-9_:.\-]{20,254}")


def _checked(platform: Platform, identifier: str, token: str) -> tuple[str, str]:
    identifier, token = identifier.strip(), token.strip()
    if not _APP_ID.fullmatch(identifier):
        raise Refused(Reason.INVALID_EXTERNAL_IDENTIFIER)
    pattern = _APNS_TOKEN if platform == "ios" else _FCM_TOKEN
    if not pattern.fullmatch(token):
        raise Refused(Reason.INVALID_REQUEST, "accountCode is not a device token of that platform")
    # APNs tokens are case-insensitive hex: one spelling, so one row per phone.
    return identifier, token.lower() if platform == "ios" else token


async def register(
    call: Call, number: str, platform: Platform, identifier: str, token: str
) -> None:
    """Attach the token to the card's account. The same token again changes nothing
    (its app identifier is updated). A token held by another account moves to this one
    (another guest signed in on that phone), except for an anonymous caller, which cannot
    take a token from anyone (external_account_in_use). A token registered for the other
    platform is external_account_in_use."""
    identifier, token = _checked(platform, identifier, token)
    uow, mid = call.uow, call.merchant_id
    ref = await account_by_card(call, number)
    await uow.users.lock_account(mid, ref.account_id)
    held = await uow.push_devices.by_token(mid, token)
    if held is not None:
        if held.platform != platform:
            raise Refused(
                Reason.EXTERNAL_ACCOUNT_IN_USE, "the token is registered for another platform"
            )
        if held.account_id != ref.account_id and call.principal.style == "anonymous":
            raise Refused(Reason.EXTERNAL_ACCOUNT_IN_USE)
        if held.account_id != ref.account_id or held.external_identifier != identifier:
            await uow.push_devices.move(
                held.id, account_id=ref.account_id, external_identifier=identifier, now=call.now
            )
        return
    devices = await uow.push_devices.of_account(mid, ref.account_id)
    for stale in devices[: max(0, len(devices) - MAX_DEVICES + 1)]:
        await uow.push_devices.remove(stale.id)
    await uow.push_devices.add(
        mid,
        ref.account_id,
        platform=platform,
        external_identifier=identifier,
        token=token,
        now=call.now,
    )


async def unregister(call: Call, number: str, identifier: str, token: str) -> None:
    """Forget the token on the card's account; a token it does not hold is
    external_account_not_found."""
    uow, mid = call.uow, call.merchant_id
    ref = await account_by_card(call, number)
    token = token.strip()
    held = await uow.push_devices.by_token(mid, token)
    if held is None and _APNS_TOKEN.fullmatch(token):
        held = await uow.push_devices.by_token(mid, token.lower())
    if held is None or held.account_id != ref.account_id:
        raise Refused(Reason.EXTERNAL_ACCOUNT_NOT_FOUND)
    if held.external_identifier != identifier.strip():
        raise Refused(Reason.EXTERNAL_ACCOUNT_NOT_FOUND)
    await uow.push_devices.remove(held.id)


def push_body(*, title: str | None, body: str | None, data: dict[str, str] | None = None) -> str:
    """What an outbox push message carries: the title, text and custom keys, as JSON.

    The transport shapes it for its service (an APNs ``aps.alert``, an FCM
    ``notification``)."""
    content: dict[str, Any] = {"title": title, "body": body, "data": dict(data or {})}
    return json.dumps(content, separators=(",", ":"), sort_keys=True)


async def enqueue_push(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    *,
    title: str | None,
    body: str | None,
    data: dict[str, str] | None = None,
    now: Any,
) -> int:
    """One outbox push per phone of the account, in the caller's transaction; returns how
    many were queued. The subject holds the app's identifier (the APNs topic)."""
    devices = await uow.push_devices.of_account(merchant_id, account_id)
    content = push_body(title=title, body=body, data=data)
    for device in devices:
        await enqueue(
            uow,
            merchant_id=merchant_id,
            channel=CHANNEL_OF[device.platform],
            recipient=device.token,
            subject=device.external_identifier,
            body=content,
            now=now,
        )
    return len(devices)

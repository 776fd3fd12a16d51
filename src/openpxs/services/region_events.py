"""Region Event Service (regionevent.yaml): geofences for mobile apps.

An app signed in with the ``region_event_post`` scope fetches a circle around the
guest's favourite store (else their enrollment store) and a token that does not expire,
which it then uses to report crossing the circle's edge. The crossings are recorded for
campaigns to act on; nothing else changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.store.repositories.region_events import RegionEvent
from openpxs.store.repositories.stores import StoreListing

SCOPE = "region_event_post"
# "Never expires": a century, as long as the guest's tokens are not revoked.
REGION_TOKEN_LIFETIME = timedelta(days=36525)
EVENT_TYPES = ("ENTER", "EXIT")


@dataclass(frozen=True)
class Regions:
    token: str
    stores: list[StoreListing]
    radius_meters: int


def _require_scope(call: Call) -> None:
    if call.principal.scopes is not None and SCOPE not in call.principal.scopes:
        raise Refused(Reason.INSUFFICIENT_SCOPE)


async def _guest_account(call: Call, card_number: str | None) -> int:
    if not card_number:
        raise Refused(Reason.CARD_NOT_FOUND, "printedCardNumber is required")
    found = await call.uow.cards.with_account(call.merchant_id, card_number)
    if found is None:
        raise Refused(Reason.CARD_NOT_FOUND)
    _, account = found
    if not account.is_active or not call.principal.may_reach(account.id, account.user_id):
        raise Refused(Reason.CARD_NOT_FOUND)
    return account.id


async def _located(call: Call, code: str | None) -> StoreListing | None:
    if not code:
        return None
    store = await call.uow.stores.by_code(call.merchant_id, code)
    return store if store is not None and store.lat is not None else None


async def region_definitions(call: Call, card_number: str | None) -> Regions:
    _require_scope(call)
    account_id = await _guest_account(call, card_number)
    details = await call.uow.accounts.details(call.merchant_id, account_id)
    favourite = details.fields.get("favoriteStore") if details else None
    favourite_code = str(favourite.get("code")) if isinstance(favourite, dict) else None
    store = await _located(call, favourite_code) or await _located(
        call, details.enroll_store_code if details else None
    )
    if store is None:
        raise Refused(Reason.NO_STORE)
    user_id = call.principal.user_id
    assert user_id is not None  # the oauth style acts for a registered guest
    token = await call.uow.tokens.issue(
        merchant_id=call.merchant_id,
        kind="access",
        # A family of its own: signing out of the app does not stop geofencing, but
        # revoking the guest's tokens (a password change, deletion) does.
        family=secrets.token_hex(16),
        user_id=user_id,
        integration_id=call.integration.id,
        scope=SCOPE,
        now=call.now,
        lifetime=REGION_TOKEN_LIFETIME,
    )
    return Regions(token, [store], call.program.places.regions.radius_meters)


def _event_time(text: str | None, now: datetime) -> datetime:
    if not text:
        return now
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refused(Reason.INVALID_REQUEST, "eventTime must be an ISO 8601 date-time") from None
    if when.tzinfo is None:
        raise Refused(Reason.INVALID_REQUEST, "eventTime needs a UTC offset")
    return when


async def post_region_event(
    call: Call,
    card_number: str | None,
    store_code: str | None,
    event_type: str | None,
    event_time: str | None,
) -> None:
    _require_scope(call)
    account_id = await _guest_account(call, card_number)
    kind = (event_type or "").strip().upper()
    if kind not in EVENT_TYPES:
        raise Refused(Reason.INVALID_REQUEST, "eventType must be ENTER or EXIT")
    when = _event_time(event_time, call.now)
    if await _located(call, store_code) is None:
        raise Refused(Reason.INVALID_REGION, "storeCode names no store with a region")
    assert store_code is not None
    await call.uow.region_events.record(
        call.merchant_id, RegionEvent(account_id, store_code, kind, when, call.now)
    )

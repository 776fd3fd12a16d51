"""Check-in (checkin.yaml): a guest tells the merchant they are at a store, from an app.

The account is found by mobile phone, printed card or external account code; the
check-in is recorded at the store (or merchant-wide) with an expiry and, when the
merchant enables them, a short card number the guest can tell the cashier. No value
moves: the POS transaction that picks the guest does the earning and redeeming.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.store.repositories.checkins import CORPORATE

# Attempts at a free random short number before the merchant's space counts as full.
SHORT_NUMBER_TRIES = 20
CHECKIN_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class AccountNamed:
    """The account identifier of a check-in: exactly one of the three is given."""

    mobile_phone: str | None = None
    printed_card_number: str | None = None
    external_account_code: str | None = None


@dataclass(frozen=True)
class CheckinRequest:
    store_code: str | None
    checkin_time: str | None
    account: AccountNamed
    external_store_code: str | None


@dataclass(frozen=True)
class CheckedIn:
    short_card_number: str
    printed_card_number: str
    expires_at: datetime


def parse_checkin_time(text: str | None) -> datetime:
    """'yyyy-mm-dd hh:mm:ss Z' with a numeric offset (documented), or ISO 8601 with one;
    a time without an offset says no instant."""
    if text:
        for layout in CHECKIN_TIME_FORMATS:
            try:
                return datetime.strptime(text.strip(), layout)
            except ValueError:
                continue
    raise Refused(Reason.INVALID_CHECKIN_TIME, "checkinTime must be 'yyyy-mm-dd hh:mm:ss -0400'")


async def _account_of(call: Call, named: AccountNamed) -> tuple[int, int | None]:
    """(account id, owning user id) of the identifier, or invalid_account."""
    given = [
        v for v in (named.mobile_phone, named.printed_card_number, named.external_account_code) if v
    ]
    if len(given) != 1:
        raise Refused(
            Reason.INVALID_REQUEST,
            "account needs exactly one of mobilePhone, printedCardNumber, externalAccountCode",
        )
    uow, mid = call.uow, call.merchant_id
    if named.printed_card_number:
        found = await uow.cards.with_account(mid, named.printed_card_number)
        if found is None:
            raise Refused(Reason.CARD_NOT_FOUND)
        card, account = found
        if card.status != CardStatus.ACTIVE:
            raise Refused(Reason.ACCOUNT_NOT_ACTIVE, "the card is not active")
        return account.id, account.user_id
    if named.mobile_phone:
        digits = "".join(c for c in named.mobile_phone if c.isdigit())
        users = await uow.users.with_mobile_phone(mid, digits) if digits else []
        if len(users) != 1:
            # None, or several guests share the number: neither says whose account.
            raise Refused(Reason.CARD_NOT_FOUND)
        user = await uow.users.by_id(mid, users[0][0])
        if user is None:
            raise Refused(Reason.CARD_NOT_FOUND)
        return user.account_id, user.id
    assert named.external_account_code
    ids = await uow.accounts.active_with_external_code(mid, named.external_account_code)
    if len(ids) != 1:
        raise Refused(Reason.CARD_NOT_FOUND)
    return ids[0], await uow.accounts.owner(mid, ids[0])


async def _primary_card(call: Call, account_id: int) -> tuple[int, str]:
    """(id, number) of the account's primary card: its first active card."""
    active = [
        c
        for c in await call.uow.cards.of_account(call.merchant_id, account_id)
        if c.status == CardStatus.ACTIVE
    ]
    if not active:
        raise Refused(Reason.ACCOUNT_NOT_ACTIVE, "the account has no active card")
    first = min(active, key=lambda c: c.id)
    return first.id, first.number


async def _short_number(call: Call, length: int | None, now: datetime) -> str | None:
    if length is None:
        return None
    taken = await call.uow.checkins.short_numbers_in_use(call.merchant_id, now, length)
    for _ in range(SHORT_NUMBER_TRIES):
        candidate = "".join(secrets.choice("0123456789") for _ in range(length))
        if candidate not in taken:
            return candidate
    # Nearly every number of this length is held by a live check-in.
    raise Refused(Reason.TOO_MANY_CHECKINS, "no short card number is free; try again later")


async def check_in(call: Call, req: CheckinRequest) -> CheckedIn:
    settings = call.program.places.checkin
    store_code = req.store_code or None
    if store_code is not None:
        call.program.store(store_code)  # invalid_store when not the merchant's
    at = parse_checkin_time(req.checkin_time)
    skew = timedelta(minutes=settings.max_clock_skew_minutes)
    if abs(at - call.now) > skew:
        raise Refused(
            Reason.INVALID_CHECKIN_TIME,
            f"checkinTime is more than {settings.max_clock_skew_minutes} minutes from now",
        )
    account_id, owner = await _account_of(call, req.account)
    if not call.principal.may_reach(account_id, owner):
        # A signed-in guest checks in only themselves; others' accounts look unknown.
        raise Refused(Reason.CARD_NOT_FOUND)
    uow, mid = call.uow, call.merchant_id
    # Under the account's lock: two check-ins at once cannot both pass the limits.
    statuses = await uow.accounts.lock(mid, [account_id])
    if statuses.get(account_id) != AccountStatus.ACTIVE:
        raise Refused(Reason.ACCOUNT_NOT_ACTIVE)
    card_id, card_number = await _primary_card(call, account_id)
    period = timedelta(minutes=settings.period_minutes)
    gap = timedelta(minutes=settings.minutes_between or 0)
    recent = await uow.checkins.since(mid, account_id, at - max(period, gap))
    if settings.minutes_between and any(at - gap < t <= at + gap for t in recent):
        raise Refused(Reason.CHECKIN_TOO_SOON)
    if settings.max_per_period and (
        sum(1 for t in recent if at - period < t <= at) >= settings.max_per_period
    ):
        raise Refused(Reason.TOO_MANY_CHECKINS)
    place = store_code if store_code is not None else CORPORATE
    await uow.checkins.end_live(mid, account_id, place, at)
    length = settings.store_short_length if store_code else settings.corporate_short_length
    short = await _short_number(call, length, call.now)
    expires = at + timedelta(minutes=settings.expiry_minutes)
    await uow.checkins.record(
        mid,
        account_id=account_id,
        card_id=card_id,
        store_code=place,
        short_card_number=short,
        at=at,
        expires_at=expires,
        external_store_code=req.external_store_code or None,
    )
    return CheckedIn(short or "", card_number, expires)

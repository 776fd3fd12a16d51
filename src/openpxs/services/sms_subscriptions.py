"""A number's SMS subscription (upland.yaml): STOP and START, kept per number.

A number that is opted out gets no SMS at all, one-time codes included, as a carrier
blocks every text to a number that replied STOP; the outbox worker checks it before
each send and records why a message was not sent. Opting out also clears the guests'
``textCampaignOptIn``; opting in sets it.
"""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.sms import KEY_DIGITS, number_key
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.one_time_password import MAX_DIGITS, MIN_DIGITS, phone_digits
from openpxs.store.uow import UnitOfWork

# Guests one number may belong to that one call updates.
MAX_GUESTS_PER_NUMBER = 50


async def set_subscription(
    call: Call, mobile_phone: str, opt_in: bool, card_number: str | None
) -> None:
    """Record the number's status and update its guests' text-message permission.

    The number must be a guest's mobile phone (``account_not_found`` otherwise); with a
    card, that card's guest must have it."""
    digits = phone_digits(mobile_phone)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise Refused(Reason.INVALID_PHONE)
    uow, mid = call.uow, call.merchant_id
    holders = await uow.users.with_mobile_phone(mid, digits, limit=MAX_GUESTS_PER_NUMBER)
    if not holders and len(digits) > KEY_DIGITS:
        # "+1 617 555 0123" from the SMS platform, "617-555-0123" as the guest typed it.
        holders = await uow.users.with_mobile_phone(
            mid, number_key(digits), limit=MAX_GUESTS_PER_NUMBER
        )
    stored = dict(holders)
    user_ids = list(stored)
    if card_number:
        try:
            ref = await account_by_card(call, card_number)
        except Refused:
            raise Refused(Reason.ACCOUNT_NOT_FOUND) from None
        if ref.user_id is None or ref.user_id not in user_ids:
            raise Refused(Reason.ACCOUNT_NOT_FOUND, "the card's guest does not have that number")
        user_ids = [ref.user_id]
    if not user_ids:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    # Kept under the number's key (domain.sms: its last ten digits), as given and as
    # each guest's number is stored.
    numbers = {number_key(digits)}
    for user_id in user_ids:
        user = await uow.users.by_id(mid, user_id)
        if user is not None:
            await uow.users.update(user, {"textCampaignOptIn": opt_in}, call.now)
            numbers.add(number_key(stored[user_id]) or number_key(digits))
    for number in sorted(numbers):
        await uow.push_devices.set_sms_stopped(mid, number, stopped=not opt_in, now=call.now)


async def reply_received(uow: UnitOfWork, from_number: str, opt_in: bool, now: datetime) -> int:
    """A guest texted STOP (``opt_in`` False) or START to the server's SMS sender
    (Twilio's inbound message webhook): the number's status is recorded for every
    merchant, since they all text from the senders of the server's one SMS account and
    a carrier blocks the sender as a whole; the permission of the guests with the
    number is updated. Returns how many merchants were updated (0: not a number)."""
    digits = phone_digits(from_number)
    key = number_key(digits)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or not key:
        return 0
    merchant_ids = await uow.programs.merchant_ids()
    for mid in merchant_ids:
        await uow.push_devices.set_sms_stopped(mid, key, stopped=not opt_in, now=now)
        holders = await uow.users.with_mobile_phone(mid, digits, limit=MAX_GUESTS_PER_NUMBER)
        if not holders and len(digits) > KEY_DIGITS:
            holders = await uow.users.with_mobile_phone(mid, key, limit=MAX_GUESTS_PER_NUMBER)
        for user_id, _number in holders:
            user = await uow.users.by_id(mid, user_id)
            if user is not None:
                await uow.users.update(user, {"textCampaignOptIn": opt_in}, now)
    return len(merchant_ids)

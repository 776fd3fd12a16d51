"""Sign-in by a code texted to the guest's mobile phone (onetimepassword.yaml).

``send_sms_code`` texts a six-digit code to the one user registered with a mobile
number; the OAuth Service's one_time_password grant exchanges it for tokens through
``user_for_sms_code``. Phone numbers are compared as their digits only, so
"(617) 555-0100" and "617.555.0100" are the same number; a country code must be given
the way the guest registered the number.

Guessing is bounded twice: a code wears out after five wrong tries (services.codes),
and wrong codes for one number are also counted across codes, so requesting fresh
codes does not buy fresh guesses; the number is locked for a while at the sign-in limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from openpxs.domain.errors import InvalidRequest, Reason, Refused
from openpxs.domain.fields import normalise_unique
from openpxs.domain.intents import Intent, WearOutCodes
from openpxs.domain.program import Program
from openpxs.messaging.outbox import enqueue
from openpxs.services import guessing, sending
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

PURPOSE = "one_time_password"
# ITU E.164 numbers have at most 15 digits; fewer than 7 is no dialable number.
MIN_DIGITS, MAX_DIGITS = 7, 15


def phone_digits(value: str) -> str:
    return normalise_unique("mobilePhone", value)


def is_enabled(program: Program) -> bool:
    return program.guest.messages.one_time_password_enabled


def _require_enabled(program: Program) -> None:
    if not is_enabled(program):
        raise Refused(Reason.FEATURE_DISABLED)


async def send_sms_code(
    uow: UnitOfWork,
    program: Program,
    mobile_phone: str,
    now: datetime,
    source: str | None = None,
) -> None:
    """Text a new code to the one user with this mobile number.

    An unknown number gets the same success reply and nothing is stored or sent, so the
    reply does not tell which numbers are enrolled; so does a number that was sent its
    share of codes lately (``services.sending``: the code already sent stays valid). A
    new code retires the user's earlier unused one. An address (``source``) that asked
    for too many codes lately is refused with ``TOO_MANY_ATTEMPTS``.
    """
    _require_enabled(program)
    digits = phone_digits(mobile_phone)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidRequest("mobilePhone is not a phone number")
    await sending.count_request(uow, program, source, now)
    found = await uow.users.with_mobile_phone(program.merchant_id, digits)
    if not found:
        return
    if len(found) > 1:
        raise Refused(Reason.DUPLICATE_PHONE_NUMBERS)
    if not await sending.may_send(uow, program, f"phone:{digits}", now):
        return
    minutes = program.guest.messages.one_time_password_minutes
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=PURPOSE,
        now=now,
        lifetime=timedelta(minutes=minutes),
        user_id=found[0][0],
        target=digits,
    )
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="sms",
        # The number as the guest registered it, not as this caller spelled it.
        recipient=found[0][1],
        subject=None,
        body=(
            f"{code} is your {program.name} sign-in code. It expires in {minutes} "
            f"minute{'s' * (minutes > 1)}. Do not share it with anyone."
        ),
        now=now,
    )


def _phone_guess(digits: str) -> guessing.Guess:
    return guessing.code_guess(f"otp:{digits}", shared=True)


def _wrong_code(
    program: Program, digits: str, now: datetime, source: str | None
) -> tuple[Intent, ...]:
    """After the refused grant rolls back: wear out the number's codes and count it."""
    return (
        WearOutCodes(program.merchant_id, PURPOSE, now, target=digits),
        guessing.missed(program, _phone_guess(digits), source, now, slow=True),
    )


async def user_for_sms_code(
    uow: UnitOfWork,
    program: Program,
    mobile_phone: object,
    code: object,
    now: datetime,
    source: str | None = None,
) -> User:
    """The user a live one-time password was texted to; the code is used up.

    A wrong, used or expired code is refused with ``INVALID_VERIFICATION_CODE`` (the
    OAuth Service answers invalid_grant).
    """
    _require_enabled(program)
    if not isinstance(mobile_phone, str) or not isinstance(code, str):
        raise Refused(Reason.INVALID_VERIFICATION_CODE)
    digits = phone_digits(mobile_phone)
    if not digits or not code.strip():
        raise Refused(Reason.INVALID_VERIFICATION_CODE)
    guess = _phone_guess(digits)
    await guessing.refuse_while_backing_off(
        uow, program, guess, source, now, reason=Reason.ACCOUNT_LOCKED
    )
    used = await uow.codes.use(
        merchant_id=program.merchant_id, purpose=PURPOSE, code=code, now=now, target=digits
    )
    user = None
    if used is not None and used.user_id is not None:
        user = await uow.users.by_id(program.merchant_id, used.user_id)
    mobile = user.fields.get("mobilePhone") if user is not None else None
    # The guest may have changed their number since the code was sent.
    if user is None or not isinstance(mobile, str) or phone_digits(mobile) != digits:
        raise Refused(
            Reason.INVALID_VERIFICATION_CODE, intents=_wrong_code(program, digits, now, source)
        )
    await guessing.succeeded(uow, program, guess, source)
    return user

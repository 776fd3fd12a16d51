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

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.domain.fields import normalise_unique
from openpxs.domain.program import Program
from openpxs.messaging.outbox import enqueue
from openpxs.services import codes, oauth
from openpxs.store import throttle
from openpxs.store.tables import users
from openpxs.store.users import User, user_by_id
from openpxs.wire.envelope import AfterRollback, ServiceFailure

PURPOSE = "one_time_password"
FEATURE_DISABLED = "one_time_password.feature_disabled"
DUPLICATE_PHONE_NUMBERS = "one_time_password.duplicate_phone_numbers"
INVALID_REQUEST = "one_time_password.invalid_request"
# The characters a stored phone number may hold besides digits (domain.fields._PHONE).
_PHONE_PUNCTUATION = ("+", " ", "(", ")", ".", "-")
# ITU E.164 numbers have at most 15 digits; fewer than 7 is no dialable number.
MIN_DIGITS, MAX_DIGITS = 7, 15
INVALID_CODE = "The one-time password is not valid."


def phone_digits(value: str) -> str:
    return normalise_unique("mobilePhone", value)


def digits_of_column(column: ColumnElement[str | None]) -> ColumnElement[str | None]:
    """SQL for the digits of a stored phone number, on SQLite and PostgreSQL alike.

    Stored numbers passed the form's phone check, so removing its punctuation leaves
    the digits; SQLite has no regexp_replace to do it in one go.
    """
    expression = column
    for mark in _PHONE_PUNCTUATION:
        expression = func.replace(expression, mark, "")
    return expression


def is_enabled(program: Program) -> bool:
    return program.guest.messages.one_time_password_enabled


async def users_with_mobile_phone(
    conn: AsyncConnection, merchant_id: int, digits: str, *, limit: int = 2
) -> list[tuple[int, str]]:
    """(id, stored number) of at most ``limit`` users whose mobile number has these digits."""
    rows = await conn.execute(
        select(users.c.id, users.c.mobile_phone)
        .where(
            users.c.merchant_id == merchant_id,
            users.c.mobile_phone.is_not(None),
            digits_of_column(users.c.mobile_phone) == digits,
        )
        .order_by(users.c.id)
        .limit(limit)
    )
    return [(row.id, row.mobile_phone) for row in rows]


async def send_sms_code(
    conn: AsyncConnection, program: Program, mobile_phone: str, now: datetime
) -> None:
    """Text a new code to the one user with this mobile number.

    An unknown number gets the same success reply and nothing is stored or sent, so the
    reply does not tell which numbers are enrolled. A new code retires the user's
    earlier unused one.
    """
    if not is_enabled(program):
        raise ServiceFailure(FEATURE_DISABLED, "SMS OTP feature not enabled for this merchant")
    digits = phone_digits(mobile_phone)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise ServiceFailure(INVALID_REQUEST, "Invalid request: mobilePhone is not a phone number")
    found = await users_with_mobile_phone(conn, program.merchant_id, digits)
    if not found:
        return
    if len(found) > 1:
        raise ServiceFailure(
            DUPLICATE_PHONE_NUMBERS, "Multiple users were found with this phone number"
        )
    minutes = program.guest.messages.one_time_password_minutes
    code = await codes.issue_code(
        conn,
        merchant_id=program.merchant_id,
        purpose=PURPOSE,
        now=now,
        lifetime=timedelta(minutes=minutes),
        user_id=found[0][0],
        target=digits,
    )
    await enqueue(
        conn,
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


def _phone_subject(digits: str) -> str:
    return f"otp:{digits}"


def _wrong_code(program: Program, digits: str, now: datetime) -> AfterRollback:
    """After the refused grant rolls back: wear out the number's codes and count it."""
    count = oauth.record_failure(program, [_phone_subject(digits)], now, slow=True)

    async def record(engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            await codes.count_wrong_guess(
                conn, merchant_id=program.merchant_id, purpose=PURPOSE, now=now, target=digits
            )
        await count(engine)

    return record


async def user_for_sms_code(
    conn: AsyncConnection, program: Program, mobile_phone: object, code: object, now: datetime
) -> User:
    """The user a live one-time password was texted to; the code is used up."""
    if not is_enabled(program):
        raise ServiceFailure(
            "unsupported_grant_type", "Sign-in by one-time password is not enabled"
        )
    if not isinstance(mobile_phone, str) or not isinstance(code, str):
        raise ServiceFailure(oauth.INVALID_GRANT, INVALID_CODE)
    digits = phone_digits(mobile_phone)
    if not digits or not code.strip():
        raise ServiceFailure(oauth.INVALID_GRANT, INVALID_CODE)
    subject = _phone_subject(digits)
    await oauth.refuse_if_locked(conn, program, [subject], now)
    used = await codes.use_code(
        conn, merchant_id=program.merchant_id, purpose=PURPOSE, code=code, now=now, target=digits
    )
    user = None
    if used is not None and used.user_id is not None:
        user = await user_by_id(conn, program.merchant_id, used.user_id)
    mobile = user.fields.get("mobilePhone") if user is not None else None
    # The guest may have changed their number since the code was sent.
    if user is None or not isinstance(mobile, str) or phone_digits(mobile) != digits:
        raise ServiceFailure(
            oauth.INVALID_GRANT, INVALID_CODE, after_rollback=_wrong_code(program, digits, now)
        )
    await throttle.clear(conn, program.merchant_id, subject)
    return user

"""Guest Authentication Service (guestauthentication.yaml): a trusted back end checks a
guest's credentials and keeps its own session; no token is issued.

Three outcomes: authenticatedSuccess, noMatchingGuests (the credentials match no guest:
``result`` alone, no errorCode) and failure for a bad request or a locked sign-in.
Wrong attempts are counted like OAuth sign-ins: per username, per card, and per e-mail
or phone number, each locked for a while at the program's limit.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.api.common import GuestRequest
from openpxs.domain.program import Program
from openpxs.services import oauth
from openpxs.services.one_time_password import digits_of_column, phone_digits
from openpxs.store.catalog import load_program
from openpxs.store.tables import accounts, cards, users
from openpxs.store.users import User, accounts_of_user, primary_cards, user_by_id
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import AfterRollback, ServiceFailure, invalid_request
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import FlexStr, ReplyModel

GUEST_AUTHENTICATION = Service(
    name="guestauthentication",
    title="Guest Authentication Service",
    success="authenticatedSuccess",
    error_prefix="guestauthentication",
    messages={
        "invalid_request": "Invalid request",
        "system_error": "System error",
        "account_locked": "Too many failed attempts",
    },
)
ACCOUNT_LOCKED = GUEST_AUTHENTICATION.code("account_locked")

# Identifying user fields `fields` may carry, and the ones among them that single a
# guest out on their own; the card members may come in `fields` too.
CONTACT_FIELDS = ("email", "mobilePhone", "phone")
USER_FIELDS = (*CONTACT_FIELDS, "firstName", "lastName", "postalCode")
CARD_FIELDS = ("printedCardNumber", "registrationCode")


class NoMatchingGuests(ServiceFailure):
    """A refusal whose reply is ``{"result": "noMatchingGuests"}`` and nothing else.

    Raised rather than returned so the call rolls back like every refusal and the
    dispatcher counts the failed attempt after the rollback.
    """

    def __init__(self, after_rollback: AfterRollback | None = None) -> None:
        super().__init__(
            oauth.COULD_NOT_AUTHENTICATE,  # in the request log only
            "No matching guests",
            result="noMatchingGuests",
            after_rollback=after_rollback,
        )

    def body(self) -> dict[str, Any]:
        return {"result": self.result}


class AuthenticateReply(ReplyModel):
    result: Literal["authenticatedSuccess", "noMatchingGuests"] = "authenticatedSuccess"
    username: str | None = None
    primaryPrintedCardNumber: str | None = None


async def _reply(conn: AsyncConnection, merchant_id: int, user: User) -> AuthenticateReply:
    """The guest's username and the primary card of their primary account (or, when
    that account is closed, of their first other one)."""
    account_ids = await accounts_of_user(conn, merchant_id, user.id)
    account_ids.sort(key=lambda account_id: account_id != user.account_id)
    numbers = await primary_cards(conn, merchant_id, account_ids)
    card = next((numbers[a] for a in account_ids if a in numbers), None)
    return AuthenticateReply(username=user.username, primaryPrintedCardNumber=card)


async def _by_password(
    conn: AsyncConnection, program: Program, username: str, password: str, now: datetime
) -> User:
    """services.oauth.check_password, its refusals in this service's words."""
    try:
        return await oauth.check_password(conn, program, username, password, now)
    except ServiceFailure as failure:
        if failure.code == oauth.ACCOUNT_LOCKED:
            raise ServiceFailure(ACCOUNT_LOCKED, failure.message) from None
        if failure.code == oauth.COULD_NOT_AUTHENTICATE:
            raise NoMatchingGuests(failure.after_rollback) from None
        raise


class PasswordRequest(GuestRequest):
    username: FlexStr = Field(min_length=1, max_length=254)
    password: FlexStr = Field(min_length=1, max_length=256)


@endpoint(
    GUEST_AUTHENTICATION,
    "authenticateGuestPassword",
    request=PasswordRequest,
    reply=AuthenticateReply,
    styles=("b2b",),
    summary="Check a guest's username and password",
    errors=("invalid_request", "account_locked"),
)
async def authenticate_guest_password(ctx: CallContext, req: PasswordRequest) -> AuthenticateReply:
    """authenticatedSuccess with the username and, when the guest has a card, the primary
    printedCardNumber; noMatchingGuests (no errorCode) for a wrong username or password.
    After the program's limit of failed attempts (5 in 15 minutes by default) the username
    is locked for a while: failure with errorCode guestauthentication.account_locked."""
    program = await load_program(ctx.conn, ctx.merchant_id)
    user = await _by_password(ctx.conn, program, req.username, req.password, ctx.now)
    return await _reply(ctx.conn, ctx.merchant_id, user)


class AuthenticateRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    password: FlexStr | None = Field(default=None, max_length=256)
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    registrationCode: FlexStr | None = Field(default=None, max_length=64)
    fields: dict[str, FlexStr | None] | None = Field(default=None, max_length=20)


def _given(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _user_field_condition(name: str, value: str) -> ColumnElement[bool]:
    """SQL: the user's field equals the given value, compared the way people write it."""
    column = users.c[
        {
            "email": "email",
            "mobilePhone": "mobile_phone",
            "phone": "phone",
            "firstName": "first_name",
            "lastName": "last_name",
            "postalCode": "postal_code",
        }[name]
    ]
    if name in ("mobilePhone", "phone"):
        digits = phone_digits(value)
        return digits_of_column(column) == digits if digits else false()
    if name == "postalCode":
        return func.lower(func.replace(column, " ", "")) == value.replace(" ", "").lower()
    return func.lower(func.trim(column)) == value.lower()


async def _users_matching(
    conn: AsyncConnection, merchant_id: int, given: dict[str, str], user_id: int | None = None
) -> list[int]:
    """Ids of at most two users whose fields hold every given value."""
    stmt = select(users.c.id).where(
        users.c.merchant_id == merchant_id,
        *(_user_field_condition(name, value) for name, value in given.items()),
    )
    if user_id is not None:
        stmt = stmt.where(users.c.id == user_id)
    return [row.id for row in await conn.execute(stmt.order_by(users.c.id).limit(2))]


def _split_fields(req: AuthenticateRequest) -> tuple[dict[str, str], str | None, str | None]:
    """(user fields, printedCardNumber, registrationCode) of an authenticateGuest call."""
    user_fields: dict[str, str] = {}
    card: dict[str, str | None] = {
        "printedCardNumber": _given(req.printedCardNumber),
        "registrationCode": _given(req.registrationCode),
    }
    for name, raw in (req.fields or {}).items():
        value = _given(raw)
        if value is None:
            continue
        if name in CARD_FIELDS:
            if card[name] not in (None, value):
                raise invalid_request(
                    GUEST_AUTHENTICATION, f"Invalid request: {name} is given twice, differently"
                )
            card[name] = value
        elif name in USER_FIELDS:
            user_fields[name] = value
        else:
            # Ignoring an unknown field would quietly accept fewer proofs than were sent.
            raise invalid_request(
                GUEST_AUTHENTICATION,
                f"Invalid request: fields.{name} is not an identifying field; use "
                f"{', '.join(USER_FIELDS + CARD_FIELDS)}",
            )
    return user_fields, card["printedCardNumber"], card["registrationCode"]


def _field_subjects(user_fields: dict[str, str]) -> list[str]:
    """Failure counters of a fields sign-in: one per e-mail or phone number given."""
    subjects = []
    for name in CONTACT_FIELDS:
        value = user_fields.get(name)
        if value is not None:
            key = value.lower() if name == "email" else phone_digits(value)
            subjects.append(f"fields:{name}:{key}"[:300])
    return subjects


async def _by_card(
    ctx: CallContext,
    program: Program,
    number: str,
    registration_code: str | None,
    user_fields: dict[str, str],
) -> User:
    subjects = [f"card:{number[:64]}"]  # the counter the card style also keeps
    await oauth.refuse_if_locked(ctx.conn, program, subjects, ctx.now, code=ACCOUNT_LOCKED)
    row = (
        await ctx.conn.execute(
            select(cards.c.registration_code, cards.c.status, accounts.c.user_id)
            .select_from(
                cards.join(
                    accounts,
                    (accounts.c.merchant_id == cards.c.merchant_id)
                    & (accounts.c.id == cards.c.account_id),
                )
            )
            .where(cards.c.merchant_id == ctx.merchant_id, cards.c.printed_card_number == number)
        )
    ).first()
    user = None
    if row is not None and row.status == "active" and row.user_id is not None:
        code_ok = registration_code is None or hmac.compare_digest(
            (row.registration_code or "").encode(), registration_code.encode()
        )
        fields_ok = not user_fields or bool(
            await _users_matching(ctx.conn, ctx.merchant_id, user_fields, row.user_id)
        )
        if code_ok and fields_ok:
            user = await user_by_id(ctx.conn, ctx.merchant_id, row.user_id)
    if user is None:
        raise NoMatchingGuests(oauth.record_failure(program, subjects, ctx.now, slow=True))
    return user


async def _by_fields(ctx: CallContext, program: Program, user_fields: dict[str, str]) -> User:
    subjects = _field_subjects(user_fields)
    await oauth.refuse_if_locked(ctx.conn, program, subjects, ctx.now, code=ACCOUNT_LOCKED)
    found = await _users_matching(ctx.conn, ctx.merchant_id, user_fields)
    user = await user_by_id(ctx.conn, ctx.merchant_id, found[0]) if len(found) == 1 else None
    if user is None:
        # Several guests matching is answered alike: the caller should ask for more.
        raise NoMatchingGuests(oauth.record_failure(program, subjects, ctx.now, slow=True))
    return user


@endpoint(
    GUEST_AUTHENTICATION,
    "authenticateGuest",
    request=AuthenticateRequest,
    reply=AuthenticateReply,
    styles=("b2b",),
    summary="Identify a guest by password, card or identifying fields",
    errors=("invalid_request", "account_locked"),
)
async def authenticate_guest(ctx: CallContext, req: AuthenticateRequest) -> AuthenticateReply:
    """Give exactly one way of identifying the guest:

    - username and password (as authenticateGuestPassword);
    - printedCardNumber (top level or in `fields`) with its registrationCode and/or
      identifying `fields` that the card's registered guest must match; a card number
      alone is refused, as numbers are printed in sequence;
    - `fields` alone: at least two of email, mobilePhone, phone, firstName, lastName and
      postalCode, one of them email, mobilePhone or phone.

    Exactly one registered guest must match everything given; otherwise (none, or
    several) noMatchingGuests. E-mail, names and postal codes ignore case (postal codes
    also spaces), phone numbers compare by their digits.
    """
    program = await load_program(ctx.conn, ctx.merchant_id)
    user_fields, number, registration_code = _split_fields(req)
    username, password = _given(req.username), req.password or None
    if username is not None or password is not None:
        if number is not None or registration_code is not None or user_fields:
            raise invalid_request(
                GUEST_AUTHENTICATION,
                "Invalid request: give username and password, or a card, or fields - one way",
            )
        if username is None or password is None:
            raise invalid_request(
                GUEST_AUTHENTICATION, "Invalid request: username and password go together"
            )
        user = await _by_password(ctx.conn, program, username, password, ctx.now)
    elif number is not None:
        if registration_code is None and not user_fields:
            raise invalid_request(
                GUEST_AUTHENTICATION,
                "Invalid request: a printedCardNumber needs its registrationCode or "
                "identifying fields",
            )
        user = await _by_card(ctx, program, number, registration_code, user_fields)
    elif registration_code is not None:
        raise invalid_request(
            GUEST_AUTHENTICATION, "Invalid request: registrationCode needs a printedCardNumber"
        )
    elif user_fields:
        if len(user_fields) < 2 or not any(name in user_fields for name in CONTACT_FIELDS):
            raise invalid_request(
                GUEST_AUTHENTICATION,
                "Invalid request: fields needs at least two identifying fields, one of "
                "them email, mobilePhone or phone",
            )
        user = await _by_fields(ctx, program, user_fields)
    else:
        raise invalid_request(
            GUEST_AUTHENTICATION,
            "Invalid request: give username and password, a printedCardNumber, or fields",
        )
    return await _reply(ctx.conn, ctx.merchant_id, user)

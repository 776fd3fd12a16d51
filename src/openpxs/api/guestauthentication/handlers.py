"""Guest Authentication Service (guestauthentication.yaml): a trusted back end checks a
guest's credentials and keeps its own session; no token is issued.

Three outcomes: authenticatedSuccess, noMatchingGuests (the credentials match no guest:
``result`` alone, no errorCode) and failure for a bad request or a locked sign-in.
"""

from __future__ import annotations

from openpxs.api.guestauthentication import models as m
from openpxs.api.guestauthentication.errors import B2B, GUEST_AUTHENTICATION
from openpxs.domain.errors import InvalidRequest
from openpxs.domain.errors import Reason as R
from openpxs.services import guest_authentication as auth
from openpxs.services.guest_authentication import CONTACT_FIELDS
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# The identifying user fields `fields` may carry; the card members may come in it too.
USER_FIELDS = (*CONTACT_FIELDS, "firstName", "lastName", "postalCode")
CARD_FIELDS = ("printedCardNumber", "registrationCode")
REFUSES = (R.COULD_NOT_AUTHENTICATE, R.ACCOUNT_LOCKED)


def _reply(found: auth.Authenticated) -> m.AuthenticateReply:
    return m.AuthenticateReply(username=found.username, primaryPrintedCardNumber=found.primary_card)


@endpoint(
    GUEST_AUTHENTICATION,
    "authenticateGuestPassword",
    request=m.PasswordRequest,
    reply=m.AuthenticateReply,
    styles=B2B,
    summary="Check a guest's username and password",
    errors=REFUSES,
)
async def authenticate_guest_password(
    ctx: CallContext, req: m.PasswordRequest
) -> m.AuthenticateReply:
    """authenticatedSuccess with the username and, when the guest has a card, the primary
    printedCardNumber; noMatchingGuests (no errorCode) for a wrong username or password.
    After the program's limit of failed attempts (5 in 15 minutes by default) the username
    is locked for a while: failure with errorCode guestauthentication.account_locked."""
    return _reply(await auth.by_password(ctx, req.username, req.password))


def _given(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _split_fields(req: m.AuthenticateRequest) -> tuple[dict[str, str], str | None, str | None]:
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
                raise InvalidRequest(f"{name} is given twice, differently")
            card[name] = value
        elif name in USER_FIELDS:
            user_fields[name] = value
        else:
            # Ignoring an unknown field would quietly accept fewer proofs than were sent.
            raise InvalidRequest(
                f"fields.{name} is not an identifying field; use "
                f"{', '.join(USER_FIELDS + CARD_FIELDS)}"
            )
    return user_fields, card["printedCardNumber"], card["registrationCode"]


@endpoint(
    GUEST_AUTHENTICATION,
    "authenticateGuest",
    request=m.AuthenticateRequest,
    reply=m.AuthenticateReply,
    styles=B2B,
    summary="Identify a guest by password, card or identifying fields",
    errors=REFUSES,
)
async def authenticate_guest(ctx: CallContext, req: m.AuthenticateRequest) -> m.AuthenticateReply:
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
    user_fields, number, registration_code = _split_fields(req)
    username, password = _given(req.username), req.password or None
    if username is not None or password is not None:
        if number is not None or registration_code is not None or user_fields:
            raise InvalidRequest("give username and password, or a card, or fields - one way")
        if username is None or password is None:
            raise InvalidRequest("username and password go together")
        return _reply(await auth.by_password(ctx, username, password))
    if number is not None:
        if registration_code is None and not user_fields:
            raise InvalidRequest(
                "a printedCardNumber needs its registrationCode or identifying fields"
            )
        return _reply(await auth.by_card(ctx, number, registration_code, user_fields))
    if registration_code is not None:
        raise InvalidRequest("registrationCode needs a printedCardNumber")
    if user_fields:
        if len(user_fields) < 2 or not any(name in user_fields for name in CONTACT_FIELDS):
            raise InvalidRequest(
                "fields needs at least two identifying fields, one of them email, "
                "mobilePhone or phone"
            )
        return _reply(await auth.by_fields(ctx, user_fields))
    raise InvalidRequest("give username and password, a printedCardNumber, or fields")

"""Password reset by a code e-mailed (or, from the hosted guest website, texted) to the
guest (guestmanagement.yaml).

Starting a reset stores a one-time code (only its digest) for the user and writes the
e-mail with the code and a reset link in the same transaction, so a refused call sends
nothing. Completing it takes the code and the new password; the code names the user by
itself, so a generated code is long and random (a link carries it, nobody types it),
and wrong codes are counted per client address to bound guessing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote

from openpxs.domain.errors import InvalidRequest, Reason, Refused
from openpxs.domain.fields import CheckedFields, FieldSetting, check_field_set, with_login
from openpxs.domain.program import Program
from openpxs.messaging.outbox import enqueue
from openpxs.security import hash_password_off_loop
from openpxs.services import guessing, inbox, sending
from openpxs.services.context import Call
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

PURPOSE = "password_reset"
Channel = Literal["email", "sms"]
IDENTIFIERS = ("printedCardNumber", "username", "email", "accountId")


@dataclass(frozen=True)
class Identifier:
    name: str
    value: str | int


def one_identifier(given: list[Identifier]) -> Identifier:
    """The single identifier of a reset request (the same one twice counts once)."""
    distinct = list(dict.fromkeys(given))
    if not distinct:
        raise Refused(Reason.NO_IDENTIFIER)
    if len(distinct) > 1:
        raise Refused(Reason.MULTIPLE_IDENTIFIERS)
    return distinct[0]


async def find_user(uow: UnitOfWork, merchant_id: int, identifier: Identifier) -> User:
    user: User | None = None
    value = identifier.value
    if identifier.name == "accountId" and isinstance(value, int):
        user = await uow.users.of_account(merchant_id, value)
    elif identifier.name == "username" and isinstance(value, str):
        user = await uow.users.by_unique(merchant_id, "username", value)
    elif identifier.name == "email" and isinstance(value, str):
        # A unique e-mail claim decides; otherwise the address must belong to one user.
        user = await uow.users.by_unique(merchant_id, "email", value)
        if user is None:
            matches = await uow.users.by_email(merchant_id, value)
            user = matches[0] if len(matches) == 1 else None
    elif identifier.name == "printedCardNumber" and isinstance(value, str):
        card = await uow.cards.find(merchant_id, value)
        if card is not None and card.account_id is not None:
            user = await uow.users.of_account(merchant_id, card.account_id)
    if user is None:
        raise Refused(Reason.USER_NOT_FOUND)
    return user


def valid_caller_code(code: str) -> bool:
    """A caller's own code goes into a URL and is the only proof at completion."""
    return 8 <= len(code) <= 64 and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code
    )


async def request_reset(
    call: Call, given: list[Identifier], chosen_code: str | None = None, channel: Channel = "email"
) -> str | None:
    """Start a reset for the one guest the identifiers name, with the caller's own code
    when it chose one; returns the address written to, as the caller may see it.

    A b2b caller (the merchant's own server) is told the truth: the full address, or
    why nothing was sent. Anyone else holds only the app's public credential, so the
    reply is the same whether the guest exists, has an address, or has had their
    share of reset e-mails (``services.sending``): success, with the address masked
    when the caller named the guest by it ("d***@example.com"), else without one.

    ``channel`` "sms" texts the code to the guest's mobile phone instead, when the
    program allows it (``guest.messages.reset_by_sms``) and the guest has one; a guest
    without one is answered as one without an address is.
    """
    trusted = call.principal.style == "b2b"
    if chosen_code and not trusted:
        # An app's credential is public (it ships inside the app): a code it chose would
        # let anyone complete the reset of any guest with resetPassword.
        raise InvalidRequest("only a b2b caller may choose the resetCode")
    if chosen_code and not valid_caller_code(chosen_code):
        raise InvalidRequest("resetCode must be 8 to 64 letters, digits, '-' or '_'")
    identifier = one_identifier(given)
    await sending.count_request(call.uow, call.program, call.guesser, call.now)
    phone: str | None = None
    try:
        user = await find_user(call.uow, call.merchant_id, identifier)
        phone = mobile_phone_of(call.program, user) if channel == "sms" else None
        if channel == "sms" and phone is None:
            raise Refused(Reason.INVALID_PHONE, "no mobile phone to text a code to")
        if channel == "email" and not user.email:
            raise Refused(Reason.NO_EMAIL_ADDRESS)
        if not await sending.may_send(call.uow, call.program, f"user:{user.id}", call.now):
            raise Refused(Reason.TOO_MANY_ATTEMPTS, "enough reset e-mails were sent lately")
    except Refused:
        if trusted:
            raise
        return _as_shown(identifier)
    if phone is not None:
        await text_reset(call.uow, call.program, user, phone, call.now)
        return None
    email = await start_reset(call.uow, call.program, user, call.now, chosen_code)
    return email if trusted else _as_shown(identifier)


def mobile_phone_of(program: Program, user: User) -> str | None:
    """Where a reset code may be texted: the guest's mobile phone, when the program
    sends reset codes by SMS."""
    phone = user.fields.get("mobilePhone")
    if not program.guest.messages.reset_by_sms or not isinstance(phone, str):
        return None
    return phone.strip() or None


def _as_shown(identifier: Identifier) -> str | None:
    """What an untrusted caller is told of the address: only what it gave, masked."""
    if identifier.name == "email" and isinstance(identifier.value, str):
        return sending.masked(identifier.value)
    return None


async def start_reset(
    uow: UnitOfWork, program: Program, user: User, now: datetime, code: str | None = None
) -> str:
    """Store a reset code for the user and e-mail it; returns the address written to."""
    email = user.email
    if not email:
        raise Refused(Reason.NO_EMAIL_ADDRESS)
    minutes = program.guest.messages.reset_code_minutes
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=PURPOSE,
        now=now,
        lifetime=timedelta(minutes=minutes),
        user_id=user.id,
        account_id=user.account_id,
        target=email,
        code=code or secrets.token_urlsafe(24),
    )
    link = program.guest.messages.reset_link.format(
        merchant=program.merchant_id, code=quote(code, safe="")
    )
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="email",
        recipient=email,
        subject=f"Reset your {program.name} password",
        body=(
            "We received a request to reset the password of your account.\n\n"
            f"Choose a new password here: {link}\n\n"
            f"or enter this reset code: {code}\n\n"
            f"The code works once and expires in {minutes} minutes. If you did not ask "
            "for a reset, ignore this message: your password stays as it is.\n"
        ),
        now=now,
    )
    return email


async def text_reset(
    uow: UnitOfWork, program: Program, user: User, phone: str, now: datetime
) -> None:
    """Store a reset code for the user and text it (with the reset link) to ``phone``.
    The code is the e-mail's kind, long and random: it names the guest by itself, so it
    must not be guessable however many addresses try."""
    minutes = program.guest.messages.reset_code_minutes
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=PURPOSE,
        now=now,
        lifetime=timedelta(minutes=minutes),
        user_id=user.id,
        account_id=user.account_id,
        target=phone,
        code=secrets.token_urlsafe(24),
    )
    link = program.guest.messages.reset_link.format(
        merchant=program.merchant_id, code=quote(code, safe="")
    )
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="sms",
        recipient=phone,
        subject=None,
        body=(
            f"Your {program.name} password reset code: {code} (or open {link}). It works "
            f"once and expires in {minutes} minutes. Did not ask? Ignore this text."
        ),
        now=now,
    )


async def _password_setting(uow: UnitOfWork, program: Program, user: User) -> FieldSetting:
    """The password rule of the form of the card template of the user's account."""
    template_code = await uow.accounts.template_of(program.merchant_id, user.account_id)
    template = program.templates.get(template_code) if template_code is not None else None
    form = template.form if template is not None else with_login({})
    return form["password"]


async def complete_reset(call: Call, code: str, new_password: str) -> User:
    """Set the new password of the user a live reset code belongs to.

    Every sign-in of the user ends (the reset may be because someone else knew the
    password) and the username's failed-sign-in lock is lifted.
    """
    uow, program, now = call.uow, call.program, call.now
    # Counted per client address (a generated code is too long to guess; a counter for
    # the whole integration would let one stranger stop every guest's reset).
    guess = guessing.code_guess(PURPOSE, shared=False)
    await guessing.refuse_while_backing_off(uow, program, guess, call.guesser, now)
    used = await uow.codes.use(merchant_id=program.merchant_id, purpose=PURPOSE, code=code, now=now)
    user = None
    if used is not None and used.user_id is not None:
        user = await uow.users.by_id(program.merchant_id, used.user_id)
    if user is None:
        raise Refused(
            Reason.INVALID_RESET_CODE,
            intents=(guessing.missed(program, guess, call.guesser, now, slow=True),),
        )
    setting = await _password_setting(uow, program, user)
    # Checked after the code, as the rule depends on the user; a refusal here rolls the
    # code's use back, so the guest can try another password with the same link.
    checked = CheckedFields()
    check_field_set(
        checked,
        "user",
        {"password": new_password},
        {"password": replace(setting, required=True)},
        today=program.today(now),
    )
    if not checked.ok:
        problems = [problem for found in checked.errors.values() for problem in found]
        raise Refused(
            Reason.FIELD_VALIDATION,
            f"newPassword: {problems[0].message}",
            members={
                "errorsByField": {
                    "newPassword": [{"code": p.code, "message": p.message} for p in problems]
                }
            },
        )
    await uow.users.update(user, {}, now, password_hash=await hash_password_off_loop(new_password))
    await uow.tokens.revoke_user(program.merchant_id, user.id, now)
    if user.username:
        # The guest proved they read their mail: what anyone guessed at their password
        # no longer holds them back.
        await guessing.forgive(uow, program, guessing.password_guess(user.username))
    subject = f"Your {program.name} password was changed"
    body = (
        "The password of your account was just changed with a reset code, and "
        "every device signed in to it was signed out.\n\nIf this was not you, "
        "contact us right away.\n"
    )
    await inbox.notify(
        uow, program.merchant_id, user.account_id, subject=subject, body=body, now=now
    )
    if user.email:
        await enqueue(
            uow,
            merchant_id=program.merchant_id,
            channel="email",
            recipient=user.email,
            subject=subject,
            body=body,
            now=now,
        )
    return user

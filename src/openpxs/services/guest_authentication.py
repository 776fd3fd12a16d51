"""A trusted back end checking a guest's credentials (guestauthentication.yaml): by
password, by card, or by identifying fields. No token is issued.

Wrong attempts are counted like OAuth sign-ins: per username, per card, and per e-mail
or phone number (``services.guessing``; the caller is a trusted back end speaking for
many guests, so only each subject's counter over every address applies). Credentials that
match no guest, or several, are refused alike: the caller should ask for more.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.cards import CardStatus, registration_code_matches
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import normalise_unique
from openpxs.services import guessing, oauth
from openpxs.services.context import Call
from openpxs.store.repositories.users import User

# Identifying user fields that single a guest out on their own.
CONTACT_FIELDS = ("email", "mobilePhone", "phone")


@dataclass(frozen=True)
class Authenticated:
    username: str | None
    primary_card: str | None


async def by_password(call: Call, username: str, password: str) -> Authenticated:
    user = await oauth.check_password(
        call.uow, call.program, username, password, call.now, call.guesser
    )
    return await _authenticated(call, user)


async def by_card(
    call: Call, number: str, registration_code: str | None, user_fields: dict[str, str]
) -> Authenticated:
    """The registered guest of an active card, proven by its registration code and/or
    identifying fields the guest must match."""
    uow, merchant = call.uow, call.merchant_id
    guess = guessing.card_guess(number)  # the counters the card style also keeps
    await guessing.refuse_while_backing_off(
        uow, call.program, guess, call.guesser, call.now, reason=Reason.ACCOUNT_LOCKED
    )
    card = await uow.cards.find(merchant, number)
    owner = (
        await uow.accounts.owner(merchant, card.account_id)
        if card is not None and card.account_id is not None
        else None
    )
    user = None
    if card is not None and card.status == CardStatus.ACTIVE and owner is not None:
        code_ok = registration_code is None or registration_code_matches(card, registration_code)
        fields_ok = not user_fields or bool(await uow.users.matching(merchant, user_fields, owner))
        if code_ok and fields_ok:
            user = await uow.users.by_id(merchant, owner)
    if user is None:
        raise _no_match(call, guess)
    return await _authenticated(call, user)


async def by_fields(call: Call, user_fields: dict[str, str]) -> Authenticated:
    """The one registered guest whose fields hold every given value."""
    guesses = _field_guesses(user_fields)
    for guess in guesses:
        await guessing.refuse_while_backing_off(
            call.uow, call.program, guess, call.guesser, call.now, reason=Reason.ACCOUNT_LOCKED
        )
    found = await call.uow.users.matching(call.merchant_id, user_fields)
    user = await call.uow.users.by_id(call.merchant_id, found[0]) if len(found) == 1 else None
    if user is None:
        raise _no_match(call, *guesses)
    return await _authenticated(call, user)


def _no_match(call: Call, *guesses: guessing.Guess) -> Refused:
    return Refused(
        Reason.COULD_NOT_AUTHENTICATE,
        intents=tuple(
            guessing.missed(call.program, guess, call.guesser, call.now, slow=True)
            for guess in guesses
        ),
    )


def _field_guesses(user_fields: dict[str, str]) -> list[guessing.Guess]:
    """Failure counters of a fields sign-in: one per e-mail or phone number given."""
    guesses = []
    for name in CONTACT_FIELDS:
        value = user_fields.get(name)
        if value is not None:
            key = value.lower() if name == "email" else normalise_unique("mobilePhone", value)
            guesses.append(guessing.code_guess(f"fields:{name}:{key}", shared=True))
    return guesses


async def _authenticated(call: Call, user: User) -> Authenticated:
    """The guest's username and the primary card of their primary account (or, when
    that account is closed, of their first other one)."""
    account_ids = await call.uow.users.accounts_of(call.merchant_id, user.id)
    account_ids.sort(key=lambda account_id: account_id != user.account_id)
    numbers = await call.uow.users.primary_cards(call.merchant_id, account_ids)
    card = next((numbers[a] for a in account_ids if a in numbers), None)
    return Authenticated(user.username, card)

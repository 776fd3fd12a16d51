"""Proving the guest authentication styles (auth.yaml): oauth, guest (username and
password), email, and card with its guesses limited.

A refused card or password gives one reply whatever was wrong, and every refusal is
counted (per card or username and per client address, ``services.guessing``) so that
numbers and passwords cannot be tried at speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpxs.domain.cards import CardStatus, registration_code_matches
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.services import guessing, oauth
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class SignInAttempt:
    """What a call presents to prove its authentication style, and where it is proven."""

    uow: UnitOfWork
    program: Program
    integration: Integration
    # The call's parameters as sent (the style's members are read from them).
    params: dict[str, Any]
    now: datetime
    # The activation endpoints: an inactive card proves its holder too.
    activates_card: bool
    # The client address the call came from (guessing limits count per address).
    source: str | None = None


async def by_token(attempt: SignInAttempt) -> Principal:
    return await oauth.principal_for_token(
        attempt.uow, attempt.integration, attempt.params.get("access_token"), attempt.now
    )


async def by_password(attempt: SignInAttempt) -> Principal:
    params = attempt.params
    user = await oauth.check_password(
        attempt.uow,
        attempt.program,
        params.get("username"),
        params.get("password"),
        attempt.now,
        attempt.source,
    )
    return Principal(style="guest", merchant_id=attempt.program.merchant_id, user_id=user.id)


async def by_email(attempt: SignInAttempt) -> Principal:
    """The one registered guest with this e-mail address in the given card template."""
    uow, merchant = attempt.uow, attempt.program.merchant_id
    email, template = attempt.params.get("email"), attempt.params.get("cardTemplateCode")
    try:
        template_code = int(template) if template is not None else None
    except (TypeError, ValueError):
        template_code = None
    if not isinstance(email, str) or not email or template_code is None:
        raise Refused(Reason.INVALID_GUEST_CREDENTIALS)
    matches = [
        user
        for user in await uow.users.by_email(merchant, email)
        if await uow.accounts.template_of(merchant, user.account_id) == template_code
    ]
    if len(matches) != 1:
        raise Refused(Reason.INVALID_GUEST_CREDENTIALS)
    return Principal(style="email", merchant_id=merchant, user_id=matches[0].id)


async def by_card(attempt: SignInAttempt) -> Principal:
    """The holder of an active card, proven by its number and registration code; on the
    activation endpoints (``activates_card``) an inactive card proves its holder too."""
    uow, program, now = attempt.uow, attempt.program, attempt.now
    merchant = program.merchant_id
    number, code = attempt.params.get("printedCardNumber"), attempt.params.get("registrationCode")
    if not isinstance(number, str) or not isinstance(code, str) or not number or not code:
        raise Refused(Reason.INVALID_CARD_CREDENTIALS)
    guess = guessing.card_guess(number)
    await guessing.refuse_while_backing_off(uow, program, guess, attempt.source, now)
    card = await uow.cards.find(merchant, number)
    usable = card is not None and (
        card.status == CardStatus.ACTIVE
        or (card.status == CardStatus.INACTIVE and attempt.activates_card)
    )
    if card is None or not registration_code_matches(card, code) or not usable:
        raise Refused(
            Reason.INVALID_CARD_CREDENTIALS,
            intents=(guessing.missed(program, guess, attempt.source, now, slow=True),),
        )
    await guessing.succeeded(uow, program, guess, attempt.source)
    owner = (
        await uow.accounts.owner(merchant, card.account_id) if card.account_id is not None else None
    )
    return Principal(
        style="card",
        merchant_id=merchant,
        card_number=number,
        account_id=card.account_id,
        user_id=owner,
    )

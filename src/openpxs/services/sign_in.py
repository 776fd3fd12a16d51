"""Proving the guest authentication styles (auth.yaml): oauth, guest (username and
password), email, and card with its guesses limited.

A refused card or password gives one reply whatever was wrong, and every refusal is
counted (per card, per integration, per username) so that numbers and passwords cannot
be tried at speed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openpxs.domain.cards import CardStatus, registration_code_matches
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.services import oauth
from openpxs.store.uow import UnitOfWork


async def by_token(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    activates_card: bool,
) -> Principal:
    return await oauth.principal_for_token(uow, integration, params.get("access_token"), now)


async def by_password(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    activates_card: bool,
) -> Principal:
    user = await oauth.check_password(
        uow, program, params.get("username"), params.get("password"), now
    )
    return Principal(style="guest", merchant_id=integration.merchant_id, user_id=user.id)


async def by_email(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    activates_card: bool,
) -> Principal:
    """The one registered guest with this e-mail address in the given card template."""
    email, template = params.get("email"), params.get("cardTemplateCode")
    try:
        template_code = int(template) if template is not None else None
    except (TypeError, ValueError):
        template_code = None
    if not isinstance(email, str) or not email or template_code is None:
        raise Refused(Reason.INVALID_GUEST_CREDENTIALS)
    matches = [
        user
        for user in await uow.users.by_email(integration.merchant_id, email)
        if await uow.accounts.template_of(integration.merchant_id, user.account_id) == template_code
    ]
    if len(matches) != 1:
        raise Refused(Reason.INVALID_GUEST_CREDENTIALS)
    return Principal(style="email", merchant_id=integration.merchant_id, user_id=matches[0].id)


async def by_card(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    activates_card: bool,
) -> Principal:
    """The holder of an active card, proven by its number and registration code; on the
    activation endpoints (``activates_card``) an inactive card proves its holder too."""
    number, code = params.get("printedCardNumber"), params.get("registrationCode")
    if not isinstance(number, str) or not isinstance(code, str) or not number or not code:
        raise Refused(Reason.INVALID_CARD_CREDENTIALS)
    subjects = [f"card:{number[:64]}", f"client:{integration.id}"]
    await oauth.refuse_if_locked(uow, program, subjects, now, reason=Reason.TOO_MANY_ATTEMPTS)
    card = await uow.cards.find(integration.merchant_id, number)
    usable = card is not None and (
        card.status == CardStatus.ACTIVE or (card.status == CardStatus.INACTIVE and activates_card)
    )
    if card is None or not registration_code_matches(card, code) or not usable:
        raise Refused(
            Reason.INVALID_CARD_CREDENTIALS,
            intents=(oauth.count_failure(program, subjects, now, slow=False),),
        )
    owner = (
        await uow.accounts.owner(integration.merchant_id, card.account_id)
        if card.account_id is not None
        else None
    )
    return Principal(
        style="card",
        merchant_id=integration.merchant_id,
        card_number=number,
        account_id=card.account_id,
        user_id=owner,
    )

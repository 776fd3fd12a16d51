"""The guest authentication styles: oauth, guest (username and password), email, and
card with its guesses limited.

A refused card or password gives one reply whatever was wrong, and every refusal is
counted (per card, per integration, per username) so that numbers and passwords cannot
be tried at speed.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.services import oauth
from openpxs.store.catalog import load_program
from openpxs.store.tables import accounts, cards
from openpxs.store.users import users_by_email
from openpxs.wire.context import Integration, Principal
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.principals import CARD_AUTH_FAILED, register_style
from openpxs.wire.registry import Endpoint

GUEST_AUTH_FAILED = "system.invalid_guest_credentials"
TOO_MANY_ATTEMPTS = "system.too_many_attempts"


async def _oauth(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    return await oauth.principal_for_token(conn, integration, params.get("access_token"), now)


async def _guest(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    program = await load_program(conn, integration.merchant_id)
    user = await oauth.check_password(
        conn, program, params.get("username"), params.get("password"), now
    )
    return Principal(style="guest", merchant_id=integration.merchant_id, user_id=user.id)


async def _email(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    """The one registered guest with this e-mail address in the given card template."""
    email, template = params.get("email"), params.get("cardTemplateCode")
    try:
        template_code = int(template) if template is not None else None
    except (TypeError, ValueError):
        template_code = None
    if not isinstance(email, str) or not email or template_code is None:
        raise ServiceFailure(GUEST_AUTH_FAILED, "E-mail or card template is not valid")
    matches = []
    for user in await users_by_email(conn, integration.merchant_id, email):
        template_of = (
            await conn.execute(
                select(accounts.c.template_code).where(
                    accounts.c.merchant_id == integration.merchant_id,
                    accounts.c.id == user.account_id,
                )
            )
        ).scalar()
        if template_of == template_code:
            matches.append(user)
    if len(matches) != 1:
        raise ServiceFailure(GUEST_AUTH_FAILED, "E-mail or card template is not valid")
    return Principal(style="email", merchant_id=integration.merchant_id, user_id=matches[0].id)


async def _card(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    """The holder of an active card, proven by its number and registration code."""
    program = await load_program(conn, integration.merchant_id)
    number, code = params.get("printedCardNumber"), params.get("registrationCode")
    if not isinstance(number, str) or not isinstance(code, str) or not number or not code:
        raise ServiceFailure(CARD_AUTH_FAILED, "Card number or registration code is not valid")
    subjects = [f"card:{number[:64]}", f"client:{integration.id}"]
    await oauth.refuse_if_locked(conn, program, subjects, now, code=TOO_MANY_ATTEMPTS)
    row = (
        await conn.execute(
            select(
                cards.c.registration_code, cards.c.status, cards.c.account_id, accounts.c.user_id
            )
            .select_from(
                cards.outerjoin(
                    accounts,
                    (accounts.c.merchant_id == cards.c.merchant_id)
                    & (accounts.c.id == cards.c.account_id),
                )
            )
            .where(
                cards.c.merchant_id == integration.merchant_id,
                cards.c.printed_card_number == number,
            )
        )
    ).first()
    usable = row is not None and (
        row.status == "active" or (row.status == "inactive" and endpoint.activates_card)
    )
    if (
        row is None
        or not hmac.compare_digest((row.registration_code or "").encode(), code.encode())
        or not usable
    ):
        raise ServiceFailure(
            CARD_AUTH_FAILED,
            "Card number or registration code is not valid",
            after_rollback=oauth.record_failure(program, subjects, now, slow=False),
        )
    return Principal(
        style="card",
        merchant_id=integration.merchant_id,
        card_number=number,
        account_id=row.account_id,
        user_id=row.user_id,
    )


register_style("oauth", _oauth)
register_style("guest", _guest)
register_style("email", _email)
register_style("card", _card)

__all__ = ["GUEST_AUTH_FAILED"]

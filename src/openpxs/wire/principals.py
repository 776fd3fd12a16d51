"""Who a call acts for, proven by its authentication style (auth.yaml).

Each style has a resolver; the guest services add theirs (oauth, guest, email) with
``register_style``. A style without a resolver is refused.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import cards
from openpxs.wire.auth import STYLE_REFUSED
from openpxs.wire.context import Integration, Principal
from openpxs.wire.envelope import ServiceFailure

Resolver = Callable[[AsyncConnection, Integration, dict[str, Any]], Awaitable[Principal]]
_RESOLVERS: dict[str, Resolver] = {}

CARD_AUTH_FAILED = "system.invalid_card_credentials"


def register_style(style: str, resolver: Resolver) -> None:
    _RESOLVERS[style] = resolver


async def resolve(
    style: str, conn: AsyncConnection, integration: Integration, params: dict[str, Any]
) -> Principal:
    resolver = _RESOLVERS.get(style)
    if resolver is None:
        raise ServiceFailure(STYLE_REFUSED, f"The {style!r} authentication style is not enabled")
    return await resolver(conn, integration, params)


async def _integration_only(style: str, integration: Integration) -> Principal:
    return Principal(style=style, merchant_id=integration.merchant_id)


async def _b2b(
    conn: AsyncConnection, integration: Integration, params: dict[str, Any]
) -> Principal:
    return await _integration_only("b2b", integration)


async def _anonymous(
    conn: AsyncConnection, integration: Integration, params: dict[str, Any]
) -> Principal:
    return await _integration_only("anonymous", integration)


async def _card(
    conn: AsyncConnection, integration: Integration, params: dict[str, Any]
) -> Principal:
    """The holder of an active card, proven by its number and registration code.

    An unknown card and a wrong code get the same reply, so numbers cannot be probed.
    """
    number, code = params.get("printedCardNumber"), params.get("registrationCode")
    if not isinstance(number, str) or not isinstance(code, str) or not number or not code:
        raise ServiceFailure(CARD_AUTH_FAILED, "Card number or registration code is not valid")
    row = (
        await conn.execute(
            select(cards.c.registration_code, cards.c.status, cards.c.account_id).where(
                cards.c.merchant_id == integration.merchant_id,
                cards.c.printed_card_number == number,
            )
        )
    ).first()
    if (
        row is None
        or not hmac.compare_digest(row.registration_code or "", code)
        or row.status != "active"
    ):
        raise ServiceFailure(CARD_AUTH_FAILED, "Card number or registration code is not valid")
    return Principal(
        style="card",
        merchant_id=integration.merchant_id,
        card_number=number,
        account_id=row.account_id,
    )


register_style("b2b", _b2b)
register_style("anonymous", _anonymous)
register_style("card", _card)

"""Who a call acts for, proven by its authentication style (auth.yaml).

Each style has a resolver; the guest services add theirs (oauth, guest, email) with
``register_style``. A style without a resolver is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.wire.auth import STYLE_REFUSED
from openpxs.wire.context import Integration, Principal
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import Endpoint

# (connection, integration, the call's parameters, now, the endpoint called)
Resolver = Callable[
    [AsyncConnection, Integration, dict[str, Any], datetime, Endpoint], Awaitable[Principal]
]
_RESOLVERS: dict[str, Resolver] = {}

CARD_AUTH_FAILED = "system.invalid_card_credentials"


def register_style(style: str, resolver: Resolver) -> None:
    _RESOLVERS[style] = resolver


async def resolve(
    style: str,
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    resolver = _RESOLVERS.get(style)
    if resolver is None:
        raise ServiceFailure(STYLE_REFUSED, f"The {style!r} authentication style is not enabled")
    return await resolver(conn, integration, params, now, endpoint)


async def _integration_only(style: str, integration: Integration) -> Principal:
    return Principal(style=style, merchant_id=integration.merchant_id)


async def _b2b(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    return await _integration_only("b2b", integration)


async def _anonymous(
    conn: AsyncConnection,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
) -> Principal:
    return await _integration_only("anonymous", integration)


register_style("b2b", _b2b)
register_style("anonymous", _anonymous)

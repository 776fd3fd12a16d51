"""Who a call acts for, proven by its authentication style (auth.yaml)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.services import sign_in
from openpxs.store.uow import UnitOfWork
from openpxs.wire.auth import STYLE_REFUSED
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import Endpoint

Resolver = Callable[[sign_in.SignInAttempt], Awaitable[Principal]]
GUEST_STYLES: dict[str, Resolver] = {
    "oauth": sign_in.by_token,
    "guest": sign_in.by_password,
    "email": sign_in.by_email,
    "card": sign_in.by_card,
}
# Styles that act for the integration's merchant, with no guest in view.
MERCHANT_STYLES = frozenset({"b2b", "anonymous"})


async def resolve(
    style: str,
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    params: dict[str, Any],
    now: datetime,
    endpoint: Endpoint,
    source: str | None = None,
) -> Principal:
    if style in MERCHANT_STYLES:
        return Principal(style=style, merchant_id=integration.merchant_id)
    resolver = GUEST_STYLES.get(style)
    if resolver is None:
        raise ServiceFailure(STYLE_REFUSED, f"The {style!r} authentication style is not enabled")
    return await resolver(
        sign_in.SignInAttempt(
            uow, program, integration, params, now, endpoint.activates_card, source
        )
    )

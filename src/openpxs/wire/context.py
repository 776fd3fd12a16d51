"""What a handler knows about the call it serves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.wire.idempotency import RetryKeys
from openpxs.wire.registry import Endpoint


@dataclass(frozen=True)
class Integration:
    id: int
    merchant_id: int
    identifier: str
    styles: tuple[str, ...]


@dataclass(frozen=True)
class Principal:
    """On whose behalf the call runs, proven by the authentication style."""

    style: str
    merchant_id: int
    card_number: str | None = None
    account_id: int | None = None
    # The registered guest (oauth, guest and email styles; card when registered).
    user_id: int | None = None
    # OAuth scopes granted to the token; None for styles that are not scoped.
    scopes: frozenset[str] | None = None
    # The sign-in the access token belongs to (oauth only), for revocation.
    token_family: str | None = None

    @property
    def is_guest(self) -> bool:
        """Acting for one guest, who may reach only their own cards, accounts and user."""
        return self.style in ("card", "guest", "email", "oauth")


@dataclass
class CallContext:
    endpoint: Endpoint
    conn: AsyncConnection
    integration: Integration
    principal: Principal
    now: datetime
    retry: RetryKeys

    @property
    def merchant_id(self) -> int:
        return self.integration.merchant_id

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

"""What a handler knows about the call it serves: the use case's ``Call`` and the
endpoint it came in by."""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.identity import Integration, Principal
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.wire.registry import Endpoint

__all__ = ["CallContext", "Integration", "Principal"]


@dataclass
class CallContext(Call):
    endpoint: Endpoint
    # Units of work of their own, for endpoints that commit their own steps
    # (Endpoint.own_transactions); ``uow`` is then closed.
    units: Units | None = None
    # The Idempotency-Key header, for such endpoints to key their own retries.
    idempotency_key: str | None = None

"""What a handler knows about the call it serves: the use case's ``Call`` and the
endpoint it came in by."""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.identity import Integration, Principal
from openpxs.services.context import Call
from openpxs.wire.registry import Endpoint

__all__ = ["CallContext", "Integration", "Principal"]


@dataclass
class CallContext(Call):
    endpoint: Endpoint

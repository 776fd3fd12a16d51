"""What a use case knows of the call it serves.

The dispatcher builds one per call: the unit of work the call runs in, the merchant's
program (loaded once), the integration calling, the principal it acts for, and the
instant of the call. Use cases take it instead of a connection, so none of them sees
HTTP, wire codes or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp, online
from openpxs.store.uow import UnitOfWork


@dataclass
class Call:
    uow: UnitOfWork
    program: Program
    integration: Integration
    principal: Principal
    now: datetime
    # The client address the call came from (wire.sources), for guessing limits.
    source: str | None = field(default=None, kw_only=True)

    @property
    def guesser(self) -> str | None:
        """The address wrong guesses are counted against; None for a trusted back end
        (b2b), which speaks for many guests and is no one address to slow down."""
        return None if self.principal.style == "b2b" else self.source

    @property
    def merchant_id(self) -> int:
        return self.integration.merchant_id

    def online_stamp(self, store_code: str | None = None) -> CallStamp:
        """The stamp of what an app or website call writes: no POS ids."""
        return online(self.merchant_id, self.integration.id, self.now, store_code)

"""What a use case of the operator console knows of the call it serves, and the audit
every operator action writes.

The console runs each page in one unit of work, as the API's dispatcher does: the
operator its session names, the operator's merchant's program, the instant. Each
action checks the operator's role (``domain.operators``) and writes its audit entry in
that same unit of work, so an action and its entry are committed or rolled back
together. The API's use cases that take a ``Call`` get one acting for the merchant
(as a trusted back end does), with the console as its integration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpxs.domain.identity import Integration, Principal
from openpxs.domain.operators import Operator, Permission, require
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services.context import Call
from openpxs.store.uow import UnitOfWork

# The console is no stored integration: what it writes carries integration id 0, and
# the operator in the transaction's operator id.
CONSOLE_INTEGRATION_ID = 0


@dataclass
class StaffCall:
    uow: UnitOfWork
    program: Program
    operator: Operator
    now: datetime
    source: str | None = field(default=None, kw_only=True)

    @property
    def merchant_id(self) -> int:
        return self.operator.merchant_id

    def require(self, permission: Permission) -> None:
        require(self.operator, permission)

    def stamp(self) -> CallStamp:
        """Where a transaction an operator makes happened: the console, by this operator."""
        return CallStamp(
            merchant_id=self.merchant_id,
            store_code=None,
            terminal_id="console",
            operator_id=f"console:{self.operator.id}",
            pos_transaction_id=None,
            pos_datetime=None,
            integration_id=CONSOLE_INTEGRATION_ID,
            now=self.now,
        )

    def as_call(self) -> Call:
        """A ``Call`` for the API's use cases, acting for the merchant."""
        integration = Integration(CONSOLE_INTEGRATION_ID, self.merchant_id, "console", ("b2b",))
        principal = Principal(style="b2b", merchant_id=self.merchant_id)
        return Call(self.uow, self.program, integration, principal, self.now, source=self.source)

    async def audit(
        self,
        action: str,
        account_id: int | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        comment: str | None = None,
    ) -> None:
        await self.uow.operators.audit(
            self.operator, self.now, action, account_id, before, after, comment
        )

"""The audit of operators' actions as the console shows it: filtered by operator,
guest (account) and day, newest first. Read only: nothing changes an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpxs.domain.operators import Operator, Permission
from openpxs.services.history import local_days
from openpxs.services.staff import StaffCall
from openpxs.store.repositories.operators import AuditEntry

__all__ = ["AuditEntry", "AuditFilter", "AuditPage", "audit_entries"]

AUDIT_ROWS = 200


@dataclass(frozen=True)
class AuditFilter:
    operator_id: int | None = None
    account_id: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    operators: list[Operator]


async def audit_entries(call: StaffCall, wanted: AuditFilter) -> AuditPage:
    """Entries of the merchant's operators; days are the merchant's local days."""
    call.require(Permission.VIEW_AUDIT)
    since, before = local_days(call.program, wanted.start, wanted.end)
    entries = await call.uow.operators.audit_entries(
        call.merchant_id,
        operator_id=wanted.operator_id,
        account_id=wanted.account_id,
        since=since,
        before=before,
        limit=AUDIT_ROWS,
    )
    return AuditPage(entries, await call.uow.operators.of_merchant(call.merchant_id))

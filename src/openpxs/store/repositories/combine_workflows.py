"""The automatic combine workflow: a guest's other accounts found by their e-mail or
phone, held while the guest proves the address is theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update

from openpxs.domain.cards import AccountStatus
from openpxs.store.repositories import Repository
from openpxs.store.tables import accounts, combine_workflows, users


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    user_id: int
    account_ids: list[int]


@dataclass(frozen=True)
class SharingAccount:
    """An active account of another user with the same contact address."""

    account_id: int
    template_code: int
    registered: bool  # its user has a login


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class CombineWorkflowRepository(Repository):
    __slots__ = ()

    async def accounts_sharing(
        self,
        merchant_id: int,
        user_id: int,
        *,
        email: str | None = None,
        mobile_phone: str | None = None,
    ) -> list[SharingAccount]:
        """Active accounts of users other than ``user_id`` with this e-mail (any case) or
        this mobile phone, in account order.

        Phones are compared as stored and as bare digits, which covers the forms the
        enrollment checks let through without a full-table scan.
        """
        if email is not None:
            match: Any = func.lower(users.c.email) == email.strip().lower()
        elif mobile_phone is not None:
            match = or_(
                users.c.mobile_phone == mobile_phone,
                users.c.mobile_phone == _digits(mobile_phone),
            )
        else:
            return []
        rows = await self.conn.execute(
            select(accounts.c.id, accounts.c.template_code, users.c.username)
            .select_from(
                accounts.join(
                    users,
                    (users.c.merchant_id == accounts.c.merchant_id)
                    & (users.c.id == accounts.c.user_id),
                )
            )
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.status == AccountStatus.ACTIVE.value,
                users.c.id != user_id,
                match,
            )
            .order_by(accounts.c.id)
        )
        return [SharingAccount(r.id, r.template_code, r.username is not None) for r in rows]

    async def start(
        self,
        merchant_id: int,
        workflow_id: str,
        user_id: int,
        account_ids: list[int],
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self.conn.execute(
            insert(combine_workflows).values(
                merchant_id=merchant_id,
                workflow_id=workflow_id,
                user_id=user_id,
                candidate_account_ids=account_ids,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def live(
        self, merchant_id: int, workflow_id: str, now: datetime, *, lock: bool = False
    ) -> Workflow | None:
        """The workflow while it is neither completed nor expired. With ``lock`` its row
        is held until the transaction ends, so two completions do not both run (SQLite
        holds the whole database for the transaction anyway)."""
        stmt = select(combine_workflows).where(
            combine_workflows.c.merchant_id == merchant_id,
            combine_workflows.c.workflow_id == workflow_id,
        )
        if lock and self.postgres:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        if row is None or row.completed_at is not None or row.expires_at <= now:
            return None
        return Workflow(row.workflow_id, row.user_id, [int(a) for a in row.candidate_account_ids])

    async def finish(self, merchant_id: int, workflow_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(combine_workflows)
            .where(
                combine_workflows.c.merchant_id == merchant_id,
                combine_workflows.c.workflow_id == workflow_id,
            )
            .values(completed_at=now)
        )

"""Operators of the console, their sessions and the audit of what they did.

The audit is written in the unit of work of the action it records and has no update
or delete here: nothing in the server changes an entry once written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.domain.operators import Operator, Role
from openpxs.store.repositories import Repository
from openpxs.store.tables import operator_audit, operator_sessions, operators


class OperatorExists(Exception):
    """The merchant already has an operator with this e-mail."""


@dataclass(frozen=True)
class StoredOperator:
    operator: Operator
    password_hash: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    operator_id: int
    operator_email: str
    at: datetime
    action: str
    account_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str | None


def _operator(row: Any) -> Operator:
    return Operator(
        merchant_id=row.merchant_id,
        id=row.id,
        email=row.email,
        role=Role(row.role),
        enabled=bool(row.enabled),
        created_at=row.created_at,
        totp_secret=row.totp_secret,
    )


class OperatorRepository(Repository):
    __slots__ = ()

    async def add(
        self,
        merchant_id: int,
        email: str,
        password_hash: str,
        role: Role,
        totp_secret: str | None,
        now: datetime,
    ) -> Operator:
        try:
            async with self.conn.begin_nested():
                new_id = (
                    await self.conn.execute(
                        insert(operators)
                        .values(
                            merchant_id=merchant_id,
                            email=email,
                            password_hash=password_hash,
                            role=role.value,
                            totp_secret=totp_secret,
                            enabled=True,
                            created_at=now,
                        )
                        .returning(operators.c.id)
                    )
                ).scalar_one()
        except IntegrityError:
            raise OperatorExists(email) from None
        return Operator(merchant_id, new_id, email, role, True, now, totp_secret)

    async def by_email(self, merchant_id: int, email: str) -> StoredOperator | None:
        row = (
            await self.conn.execute(
                select(operators).where(
                    operators.c.merchant_id == merchant_id, operators.c.email == email
                )
            )
        ).first()
        return StoredOperator(_operator(row), row.password_hash) if row is not None else None

    async def by_id(self, merchant_id: int, operator_id: int) -> Operator | None:
        row = (
            await self.conn.execute(
                select(operators).where(
                    operators.c.merchant_id == merchant_id, operators.c.id == operator_id
                )
            )
        ).first()
        return _operator(row) if row is not None else None

    async def of_merchant(self, merchant_id: int) -> list[Operator]:
        rows = await self.conn.execute(
            select(operators).where(operators.c.merchant_id == merchant_id).order_by(operators.c.id)
        )
        return [_operator(r) for r in rows]

    async def set_enabled(self, merchant_id: int, operator_id: int, enabled: bool) -> None:
        await self.conn.execute(
            update(operators)
            .where(operators.c.merchant_id == merchant_id, operators.c.id == operator_id)
            .values(enabled=enabled)
        )

    # --- sessions ---------------------------------------------------------------------

    async def start_session(
        self, merchant_id: int, operator_id: int, token_hash: str, now: datetime, until: datetime
    ) -> None:
        await self.conn.execute(
            insert(operator_sessions).values(
                merchant_id=merchant_id,
                operator_id=operator_id,
                token_hash=token_hash,
                created_at=now,
                expires_at=until,
            )
        )

    async def session_operator(self, token_hash: str, now: datetime) -> Operator | None:
        """The enabled operator of a live session (not ended, not expired)."""
        row = (
            await self.conn.execute(
                select(operators)
                .select_from(
                    operator_sessions.join(
                        operators,
                        (operators.c.merchant_id == operator_sessions.c.merchant_id)
                        & (operators.c.id == operator_sessions.c.operator_id),
                    )
                )
                .where(
                    operator_sessions.c.token_hash == token_hash,
                    operator_sessions.c.ended_at.is_(None),
                    operator_sessions.c.expires_at > now,
                    operators.c.enabled.is_(True),
                )
            )
        ).first()
        return _operator(row) if row is not None else None

    async def end_session(self, token_hash: str, now: datetime) -> None:
        await self.conn.execute(
            update(operator_sessions)
            .where(
                operator_sessions.c.token_hash == token_hash,
                operator_sessions.c.ended_at.is_(None),
            )
            .values(ended_at=now)
        )

    async def end_sessions_of(self, merchant_id: int, operator_id: int, now: datetime) -> None:
        await self.conn.execute(
            update(operator_sessions)
            .where(
                operator_sessions.c.merchant_id == merchant_id,
                operator_sessions.c.operator_id == operator_id,
                operator_sessions.c.ended_at.is_(None),
            )
            .values(ended_at=now)
        )

    # --- audit ------------------------------------------------------------------------

    async def audit(
        self,
        operator: Operator,
        now: datetime,
        action: str,
        account_id: int | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        comment: str | None,
    ) -> None:
        await self.conn.execute(
            insert(operator_audit).values(
                merchant_id=operator.merchant_id,
                operator_id=operator.id,
                operator_email=operator.email,
                at=now,
                action=action,
                account_id=account_id,
                before=before,
                after=after,
                comment=comment,
            )
        )

    async def audit_entries(
        self,
        merchant_id: int,
        *,
        operator_id: int | None = None,
        account_id: int | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(operator_audit).where(operator_audit.c.merchant_id == merchant_id)
        if operator_id is not None:
            stmt = stmt.where(operator_audit.c.operator_id == operator_id)
        if account_id is not None:
            stmt = stmt.where(operator_audit.c.account_id == account_id)
        if since is not None:
            stmt = stmt.where(operator_audit.c.at >= since)
        if before is not None:
            stmt = stmt.where(operator_audit.c.at < before)
        rows = await self.conn.execute(
            stmt.order_by(operator_audit.c.at.desc(), operator_audit.c.id.desc()).limit(limit)
        )
        return [
            AuditEntry(
                id=r.id,
                operator_id=r.operator_id,
                operator_email=r.operator_email,
                at=r.at,
                action=r.action,
                account_id=r.account_id,
                before=r.before,
                after=r.after,
                comment=r.comment,
            )
            for r in rows
        ]

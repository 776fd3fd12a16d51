"""The guest inbox (message/*.json) and CSR account comments (csr/*.json)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import account_comments, inbox_messages


@dataclass(frozen=True)
class InboxMessage:
    id: int
    account_id: int
    subject: str | None
    body: str
    image_url: str | None
    sent_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class AccountComment:
    id: int
    account_id: int
    author: str
    comment: str
    created_at: datetime


class InboxRepository(Repository):
    __slots__ = ()

    async def add(
        self,
        merchant_id: int,
        account_id: int,
        *,
        subject: str | None,
        body: str,
        now: datetime,
        image_url: str | None = None,
        expires_at: datetime | None = None,
    ) -> int:
        result = await self.conn.execute(
            insert(inbox_messages)
            .values(
                merchant_id=merchant_id,
                account_id=account_id,
                subject=subject,
                body=body,
                image_url=image_url,
                sent_at=now,
                expires_at=expires_at,
            )
            .returning(inbox_messages.c.id)
        )
        message_id: int = result.scalar_one()
        return message_id

    async def of_account(
        self, merchant_id: int, account_id: int, now: datetime
    ) -> list[InboxMessage]:
        """The account's messages neither deleted nor expired, newest first."""
        t = inbox_messages
        rows = await self.conn.execute(
            select(t)
            .where(
                t.c.merchant_id == merchant_id,
                t.c.account_id == account_id,
                t.c.deleted_at.is_(None),
                or_(t.c.expires_at.is_(None), t.c.expires_at > now),
            )
            .order_by(t.c.sent_at.desc(), t.c.id.desc())
        )
        return [
            InboxMessage(
                r.id, r.account_id, r.subject, r.body, r.image_url, r.sent_at, r.expires_at
            )
            for r in rows
        ]

    async def delete(
        self, merchant_id: int, account_id: int, message_id: int, now: datetime
    ) -> bool:
        """Mark the account's message deleted; False when the account has no such
        message (another account's, or already deleted)."""
        t = inbox_messages
        result = await self.conn.execute(
            update(t)
            .where(
                t.c.merchant_id == merchant_id,
                t.c.account_id == account_id,
                t.c.id == message_id,
                t.c.deleted_at.is_(None),
            )
            .values(deleted_at=now)
        )
        return bool(result.rowcount)

    async def add_comment(
        self, merchant_id: int, account_id: int, author: str, comment: str, now: datetime
    ) -> AccountComment:
        result = await self.conn.execute(
            insert(account_comments)
            .values(
                merchant_id=merchant_id,
                account_id=account_id,
                author=author,
                comment=comment,
                created_at=now,
            )
            .returning(account_comments.c.id)
        )
        return AccountComment(result.scalar_one(), account_id, author, comment, now)

    async def comments(self, merchant_id: int, account_id: int) -> list[AccountComment]:
        """The account's comments, newest first."""
        t = account_comments
        rows = await self.conn.execute(
            select(t)
            .where(t.c.merchant_id == merchant_id, t.c.account_id == account_id)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
        )
        return [AccountComment(r.id, r.account_id, r.author, r.comment, r.created_at) for r in rows]

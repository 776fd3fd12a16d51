"""Counters of failed sign-ins and card guesses, and the locks they lead to."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.store.repositories import Repository
from openpxs.store.tables import sign_in_failures


class FailureRepository(Repository):
    """Counters of failed sign-ins and card guesses, and the locks they lead to."""

    __slots__ = ()

    async def locked_until(
        self, merchant_id: int, subjects: list[str], now: datetime
    ) -> datetime | None:
        """The latest lock among the subjects that is still in force, if any."""
        rows = await self.conn.execute(
            select(sign_in_failures.c.locked_until).where(
                sign_in_failures.c.merchant_id == merchant_id,
                sign_in_failures.c.subject.in_(subjects),
                sign_in_failures.c.locked_until > now,
            )
        )
        locks = [r.locked_until for r in rows]
        return max(locks) if locks else None

    async def failures_of(self, merchant_id: int, subject: str) -> int:
        count = (
            await self.conn.execute(
                select(sign_in_failures.c.failures).where(
                    sign_in_failures.c.merchant_id == merchant_id,
                    sign_in_failures.c.subject == subject,
                )
            )
        ).scalar()
        return int(count or 0)

    async def record_failure(
        self,
        merchant_id: int,
        subject: str,
        now: datetime,
        *,
        limit: int,
        window: timedelta,
        lock_for: timedelta,
    ) -> int:
        """Count one failure; at ``limit`` failures within ``window`` lock for ``lock_for``.

        Returns the number of failures in the current window.
        """
        for _ in range(2):
            row = (
                await self.conn.execute(
                    select(sign_in_failures).where(
                        sign_in_failures.c.merchant_id == merchant_id,
                        sign_in_failures.c.subject == subject,
                    )
                )
            ).first()
            if row is None:
                try:
                    async with self.conn.begin_nested():
                        await self.conn.execute(
                            insert(sign_in_failures).values(
                                merchant_id=merchant_id,
                                subject=subject,
                                failures=1,
                                window_started_at=now,
                                locked_until=now + lock_for if limit <= 1 else None,
                            )
                        )
                    return 1
                except IntegrityError:
                    continue  # a concurrent failure created the row: count on it
            expired = row.window_started_at + window <= now and (
                row.locked_until is None or row.locked_until <= now
            )
            failures = 1 if expired else row.failures + 1
            await self.conn.execute(
                update(sign_in_failures)
                .where(
                    sign_in_failures.c.merchant_id == merchant_id,
                    sign_in_failures.c.subject == subject,
                )
                .values(
                    failures=failures,
                    window_started_at=now if expired else row.window_started_at,
                    locked_until=now + lock_for if failures >= limit else row.locked_until,
                )
            )
            return failures
        return limit

    async def clear(self, merchant_id: int, subject: str) -> None:
        await self.conn.execute(
            delete(sign_in_failures).where(
                sign_in_failures.c.merchant_id == merchant_id, sign_in_failures.c.subject == subject
            )
        )

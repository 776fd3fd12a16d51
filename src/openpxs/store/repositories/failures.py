"""Counters of failed sign-ins and guesses, and the backoffs they lead to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.store.repositories import Repository
from openpxs.store.tables import sign_in_failures


class FailureRepository(Repository):
    """Counters of failed sign-ins and guesses, and the backoffs they lead to."""

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

    async def has_failed(
        self, merchant_id: int, subject: str, now: datetime, window: timedelta
    ) -> bool:
        """Whether the counter holds failures it has not yet forgotten."""
        row = (
            await self.conn.execute(
                select(sign_in_failures).where(
                    sign_in_failures.c.merchant_id == merchant_id,
                    sign_in_failures.c.subject == subject,
                )
            )
        ).first()
        return row is not None and not _forgotten(row, now, window)

    async def record_failure(
        self,
        merchant_id: int,
        subject: str,
        now: datetime,
        *,
        free: int,
        first_backoff: timedelta,
        longest: timedelta,
        window: timedelta,
    ) -> int:
        """Count one failure; from ``free`` failures on, refuse until a backoff that
        starts at ``first_backoff`` and doubles with each failure, up to ``longest``.

        Returns the number of failures the counter now holds.
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
                                locked_until=_backoff_end(1, now, free, first_backoff, longest),
                            )
                        )
                    return 1
                except IntegrityError:
                    continue  # a concurrent failure created the row: count on it
            failures = 1 if _forgotten(row, now, window) else row.failures + 1
            until = _backoff_end(failures, now, free, first_backoff, longest)
            await self.conn.execute(
                update(sign_in_failures)
                .where(
                    sign_in_failures.c.merchant_id == merchant_id,
                    sign_in_failures.c.subject == subject,
                )
                .values(
                    failures=failures,
                    # The window runs from the last failure (column name kept from the
                    # fixed windows of old).
                    window_started_at=now,
                    locked_until=until if until is not None else row.locked_until,
                )
            )
            return failures
        return free

    async def clear(self, merchant_id: int, subject: str) -> None:
        await self.conn.execute(
            delete(sign_in_failures).where(
                sign_in_failures.c.merchant_id == merchant_id, sign_in_failures.c.subject == subject
            )
        )

    async def clear_everywhere(self, merchant_id: int, subject: str) -> None:
        """Clear the subject's counter and its counters per address ("<subject>@...")."""
        await self.conn.execute(
            delete(sign_in_failures).where(
                sign_in_failures.c.merchant_id == merchant_id,
                (sign_in_failures.c.subject == subject)
                | sign_in_failures.c.subject.startswith(f"{subject}@", autoescape=True),
            )
        )


def _forgotten(row: Any, now: datetime, window: timedelta) -> bool:
    """A counter forgets once ``window`` has passed since its last failure and since
    its backoff ended."""
    last = row.window_started_at
    if row.locked_until is not None and row.locked_until > last:
        last = row.locked_until
    return bool(last + window <= now)


def _backoff_end(
    failures: int, now: datetime, free: int, first: timedelta, longest: timedelta
) -> datetime | None:
    if failures < free:
        return None
    # Capped before the power is taken, so a counter far past its limit stays cheap.
    doublings = min(failures - free, 30)
    wait: timedelta = min(first * (2**doublings), longest)
    return now + wait

"""Challenges: accounts' opt-ins and opt-outs, the progress posted checks made, and the
occurrences they completed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.store.repositories import Repository
from openpxs.store.tables import (
    accounts,
    challenge_completions,
    challenge_entries,
    challenge_progress,
)

# (challenge code, occurrence key)
OccurrenceRef = tuple[str, str]


@dataclass(frozen=True)
class Entry:
    """An account's choice about a challenge."""

    opted_in: bool
    charity_code: str | None
    changed_at: datetime


@dataclass(frozen=True)
class Completion:
    challenge_code: str
    occurrence: str
    completed_at: datetime
    reward_transaction_id: int | None
    charity_code: str | None
    badge_code: str | None


@dataclass(frozen=True)
class TakenBack:
    """Progress rows a taken-back check had made, by account and occurrence."""

    account_id: int
    challenge_code: str
    occurrence: str


@dataclass(frozen=True)
class AudienceFacts:
    """What a challenge's audience looks at on an account."""

    template_code: int
    tier: int | None
    # When the guest registered, else when the account was made.
    enrolled_at: datetime


def _completion(row: Any) -> Completion:
    return Completion(
        row.challenge_code,
        row.occurrence,
        row.completed_at,
        row.reward_transaction_id,
        row.charity_code,
        row.badge_code,
    )


class ChallengeRepository(Repository):
    __slots__ = ()

    def _insert(self, table: Any) -> Any:
        return postgresql.insert(table) if self.postgres else sqlite.insert(table)

    async def audience_facts(self, merchant_id: int, account_id: int) -> AudienceFacts | None:
        row = (
            await self.conn.execute(
                select(
                    accounts.c.template_code,
                    accounts.c.tier_code,
                    accounts.c.created_at,
                    accounts.c.registered_at,
                ).where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
            )
        ).first()
        if row is None:
            return None
        return AudienceFacts(row.template_code, row.tier_code, row.registered_at or row.created_at)

    # --- entries ----------------------------------------------------------------------

    async def entries(self, merchant_id: int, account_id: int) -> dict[str, Entry]:
        rows = await self.conn.execute(
            select(challenge_entries).where(
                challenge_entries.c.merchant_id == merchant_id,
                challenge_entries.c.account_id == account_id,
            )
        )
        return {r.challenge_code: Entry(r.opted_in, r.charity_code, r.changed_at) for r in rows}

    async def set_entry(
        self,
        merchant_id: int,
        challenge_code: str,
        account_id: int,
        *,
        opted_in: bool,
        charity_code: str | None,
        now: datetime,
    ) -> None:
        values = {"opted_in": opted_in, "charity_code": charity_code, "changed_at": now}
        statement = (
            self._insert(challenge_entries)
            .values(
                merchant_id=merchant_id,
                challenge_code=challenge_code,
                account_id=account_id,
                **values,
            )
            .on_conflict_do_update(
                index_elements=["merchant_id", "challenge_code", "account_id"], set_=values
            )
        )
        await self.conn.execute(statement)

    # --- progress ---------------------------------------------------------------------

    async def record_progress(
        self,
        merchant_id: int,
        ref: OccurrenceRef,
        account_id: int,
        *,
        transaction_id: int | None,
        store_code: str,
        units: int,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            challenge_progress.insert().values(
                merchant_id=merchant_id,
                challenge_code=ref[0],
                occurrence=ref[1],
                account_id=account_id,
                transaction_id=transaction_id,
                store_code=store_code,
                units=units,
                recorded_at=now,
            )
        )

    async def standing_progress(
        self, merchant_id: int, account_id: int, refs: list[OccurrenceRef] | None = None
    ) -> dict[OccurrenceRef, list[tuple[str, int]]]:
        """(store code, units) of every standing contribution, by occurrence; only of
        ``refs`` when given."""
        query = select(
            challenge_progress.c.challenge_code,
            challenge_progress.c.occurrence,
            challenge_progress.c.store_code,
            challenge_progress.c.units,
        ).where(
            challenge_progress.c.merchant_id == merchant_id,
            challenge_progress.c.account_id == account_id,
            challenge_progress.c.taken_back_at.is_(None),
        )
        if refs is not None:
            if not refs:
                return {}
            query = query.where(
                challenge_progress.c.challenge_code.in_(sorted({code for code, _ in refs}))
            )
        found: dict[OccurrenceRef, list[tuple[str, int]]] = defaultdict(list)
        for row in await self.conn.execute(query.order_by(challenge_progress.c.id)):
            ref = (row.challenge_code, row.occurrence)
            if refs is None or ref in refs:
                found[ref].append((row.store_code, row.units))
        return dict(found)

    async def taken_part(self, merchant_id: int, account_id: int) -> set[OccurrenceRef]:
        """Every occurrence the account has made progress in (standing or not)."""
        rows = await self.conn.execute(
            select(challenge_progress.c.challenge_code, challenge_progress.c.occurrence)
            .where(
                challenge_progress.c.merchant_id == merchant_id,
                challenge_progress.c.account_id == account_id,
            )
            .distinct()
        )
        return {(r.challenge_code, r.occurrence) for r in rows}

    async def take_back(
        self, merchant_id: int, transaction_id: int, now: datetime
    ) -> list[TakenBack]:
        """Mark the progress a check's transaction made as taken back; which account's
        occurrences it touched."""
        where = (
            challenge_progress.c.merchant_id == merchant_id,
            challenge_progress.c.transaction_id == transaction_id,
            challenge_progress.c.taken_back_at.is_(None),
        )
        rows = await self.conn.execute(
            select(
                challenge_progress.c.account_id,
                challenge_progress.c.challenge_code,
                challenge_progress.c.occurrence,
            )
            .where(*where)
            .distinct()
        )
        touched = sorted(
            {TakenBack(r.account_id, r.challenge_code, r.occurrence) for r in rows},
            key=lambda t: (t.account_id, t.challenge_code, t.occurrence),
        )
        if touched:
            await self.conn.execute(
                update(challenge_progress).where(*where).values(taken_back_at=now)
            )
        return touched

    # --- completions ------------------------------------------------------------------

    async def complete(
        self,
        merchant_id: int,
        ref: OccurrenceRef,
        account_id: int,
        *,
        charity_code: str | None,
        badge_code: str | None,
        now: datetime,
    ) -> bool:
        """Claim the occurrence's completion for the account; False when it is claimed
        already (by this call or a concurrent one, which the primary key decides)."""
        statement = (
            self._insert(challenge_completions)
            .values(
                merchant_id=merchant_id,
                challenge_code=ref[0],
                occurrence=ref[1],
                account_id=account_id,
                completed_at=now,
                charity_code=charity_code,
                badge_code=badge_code,
            )
            .on_conflict_do_nothing()
            .returning(challenge_completions.c.account_id)
        )
        return (await self.conn.execute(statement)).first() is not None

    async def set_reward_transaction(
        self, merchant_id: int, ref: OccurrenceRef, account_id: int, transaction_id: int
    ) -> None:
        await self.conn.execute(
            update(challenge_completions)
            .where(*self._completion_key(merchant_id, ref, account_id))
            .values(reward_transaction_id=transaction_id)
        )

    async def completions(
        self, merchant_id: int, account_id: int
    ) -> dict[OccurrenceRef, Completion]:
        rows = await self.conn.execute(
            select(challenge_completions).where(
                challenge_completions.c.merchant_id == merchant_id,
                challenge_completions.c.account_id == account_id,
            )
        )
        return {(r.challenge_code, r.occurrence): _completion(r) for r in rows}

    async def completion_count(self, merchant_id: int, challenge_code: str, account_id: int) -> int:
        count = await self.conn.scalar(
            select(func.count()).where(
                challenge_completions.c.merchant_id == merchant_id,
                challenge_completions.c.challenge_code == challenge_code,
                challenge_completions.c.account_id == account_id,
            )
        )
        return int(count or 0)

    async def remove_completion(
        self, merchant_id: int, ref: OccurrenceRef, account_id: int
    ) -> None:
        await self.conn.execute(
            delete(challenge_completions).where(*self._completion_key(merchant_id, ref, account_id))
        )

    @staticmethod
    def _completion_key(merchant_id: int, ref: OccurrenceRef, account_id: int) -> tuple[Any, ...]:
        return (
            challenge_completions.c.merchant_id == merchant_id,
            challenge_completions.c.challenge_code == ref[0],
            challenge_completions.c.occurrence == ref[1],
            challenge_completions.c.account_id == account_id,
        )

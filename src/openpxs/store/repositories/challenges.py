"""Challenges: accounts' opt-ins and opt-outs, the progress posted checks made, and the
occurrences they completed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from openpxs.domain.challenges import AudienceFacts
from openpxs.store.direct import DirectQuery, bound_by_name, by_name
from openpxs.store.repositories import Repository
from openpxs.store.tables import (
    accounts,
    challenge_completions,
    challenge_entries,
    challenge_group_completions,
    challenge_group_entries,
    challenge_group_payouts,
    challenge_progress,
    challenge_tallies,
)

# (challenge code, occurrence key)
OccurrenceRef = tuple[str, str]

# What every posted check reads and writes of its account's challenges, built once:
# building a statement costs more Python than the database spends on these.
# Read by every posted check (direct.DirectQuery).
_AUDIENCE_FACTS = DirectQuery(
    select(
        accounts.c.template_code,
        accounts.c.tier_code,
        accounts.c.created_at,
        accounts.c.registered_at,
        accounts.c.user_id,
    ).where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a"))
)
# The account's (bound as ``m`` and ``a``) choices about challenges.
ENTRIES = select(challenge_entries).where(
    challenge_entries.c.merchant_id == bindparam("m"),
    challenge_entries.c.account_id == bindparam("a"),
)
_ENTRIES = DirectQuery(ENTRIES)
# Every posted check in a running challenge writes one: every column but its id and
# when it was taken back.
_RECORD_PROGRESS = DirectQuery(
    challenge_progress.insert()
    .inline()
    .values(
        bound_by_name(c.name for c in challenge_progress.c if c.name not in ("id", "taken_back_at"))
    )
)
_PROGRESS_KEYS = (
    challenge_progress.c.challenge_code,
    challenge_progress.c.occurrence,
    challenge_progress.c.store_code,
)
# The account's standing contributions, summed by occurrence and store.
_STANDING = (
    select(*_PROGRESS_KEYS, func.sum(challenge_progress.c.units))
    .where(
        challenge_progress.c.merchant_id == bindparam("m"),
        challenge_progress.c.account_id == bindparam("a"),
        challenge_progress.c.group_id.is_(None),
        challenge_progress.c.taken_back_at.is_(None),
    )
    .group_by(*_PROGRESS_KEYS)
    .order_by(*_PROGRESS_KEYS)
)
# The same of one occurrence (what a posted check asks after adding to it).
_STANDING_IN_ONE = DirectQuery(
    _STANDING.where(
        challenge_progress.c.challenge_code == bindparam("code"),
        challenge_progress.c.occurrence == bindparam("occurrence"),
    )
)
# PostgreSQL: a posted check's own progress row written and the occurrence's standing
# sums read in one statement. The statement's read does not see the row its own INSERT
# adds, so that row joins the sums through RETURNING. (SQLite's CTEs cannot write: it
# runs the two statements.)
_ADDED = (
    challenge_progress.insert()
    .values(
        bound_by_name(
            c.name
            for c in challenge_progress.c
            if c.name not in ("id", "taken_back_at", "group_id")
        )
    )
    .returning(challenge_progress.c.store_code, challenge_progress.c.units)
    .cte("added")
)
_STANDING_BEFORE = select(challenge_progress.c.store_code, challenge_progress.c.units).where(
    challenge_progress.c.merchant_id == bindparam("v_merchant_id"),
    challenge_progress.c.account_id == bindparam("v_account_id"),
    challenge_progress.c.challenge_code == bindparam("v_challenge_code"),
    challenge_progress.c.occurrence == bindparam("v_occurrence"),
    challenge_progress.c.group_id.is_(None),
    challenge_progress.c.taken_back_at.is_(None),
)
_STANDING_AFTER = union_all(_STANDING_BEFORE, select(_ADDED.c.store_code, _ADDED.c.units)).subquery(
    "standing"
)
_RECORD_AND_STANDING = DirectQuery(
    select(_STANDING_AFTER.c.store_code, func.sum(_STANDING_AFTER.c.units))
    .group_by(_STANDING_AFTER.c.store_code)
    .order_by(_STANDING_AFTER.c.store_code)
)
# A completion claimed once (the primary key decides between concurrent checks); asked
# by every posted check that reaches a goal, and again by each check after it.
_COMPLETE_POSTGRES = DirectQuery(
    postgresql.insert(challenge_completions)
    .values(
        bound_by_name(c.name for c in challenge_completions.c if c.name != "reward_transaction_id")
    )
    .on_conflict_do_nothing()
    .returning(challenge_completions.c.account_id)
)
_COMPLETE_SQLITE = (
    sqlite.insert(challenge_completions)
    .on_conflict_do_nothing()
    .returning(challenge_completions.c.account_id)
)


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
    # The group the rows counted for (group challenges), else None.
    group_id: int | None = None


@dataclass(frozen=True)
class Payout:
    """What a group completion paid one member."""

    user_id: int
    account_id: int | None
    reward_transaction_id: int | None


@dataclass(frozen=True)
class Contribution:
    """What one posted check adds to an occurrence's progress."""

    # The check's ledger transaction; None when the check moved no value.
    transaction_id: int | None
    store_code: str
    units: int
    recorded_at: datetime


def _progress_row(
    merchant_id: int, ref: OccurrenceRef, account_id: int, added: Contribution
) -> dict[str, Any]:
    """A progress row's columns, but its group's."""
    return {
        "merchant_id": merchant_id,
        "challenge_code": ref[0],
        "occurrence": ref[1],
        "account_id": account_id,
        "transaction_id": added.transaction_id,
        "store_code": added.store_code,
        "units": added.units,
        "recorded_at": added.recorded_at,
    }


def entry_of(row: Any) -> Entry:
    """An entry from a row with ``ENTRIES``' columns."""
    return Entry(row.opted_in, row.charity_code, row.changed_at)


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
        row = await _AUDIENCE_FACTS.first(self.conn, {"m": merchant_id, "a": account_id})
        if row is None:
            return None
        return AudienceFacts(
            row.template_code, row.tier_code, row.registered_at or row.created_at, row.user_id
        )

    # --- entries ----------------------------------------------------------------------

    async def entries(self, merchant_id: int, account_id: int) -> dict[str, Entry]:
        rows = await _ENTRIES.rows(self.conn, {"m": merchant_id, "a": account_id})
        return {r.challenge_code: entry_of(r) for r in rows}

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
        added: Contribution,
        *,
        group_id: int | None = None,
    ) -> None:
        row = _progress_row(merchant_id, ref, account_id, added)
        await _RECORD_PROGRESS.rows(self.conn, by_name({**row, "group_id": group_id}))

    async def add_progress(
        self, merchant_id: int, ref: OccurrenceRef, account_id: int, added: Contribution
    ) -> list[tuple[str, int]]:
        """``record_progress`` for the account's own entry, then what
        ``standing_progress`` answers for ``ref``: in one round trip on PostgreSQL."""
        if not self.postgres:
            await self.record_progress(merchant_id, ref, account_id, added)
            return (await self.standing_progress(merchant_id, account_id, [ref])).get(ref, [])
        row = _progress_row(merchant_id, ref, account_id, added)
        rows = await _RECORD_AND_STANDING.rows(self.conn, by_name(row))
        return [(store, int(summed)) for store, summed in rows]

    async def standing_progress(
        self, merchant_id: int, account_id: int, refs: list[OccurrenceRef] | None = None
    ) -> dict[OccurrenceRef, list[tuple[str, int]]]:
        """(store code, units) of the standing contributions, summed by store, by
        occurrence; only of ``refs`` when given. Summed here, so a check costs the same
        for a guest with a thousand visits as for one with ten."""
        params: dict[str, Any] = {"m": merchant_id, "a": account_id}
        rows: Sequence[Any]
        if refs is None:
            rows = (await self.conn.execute(_STANDING, params)).all()
        elif not refs:
            return {}
        elif len(set(refs)) == 1:
            params["code"], params["occurrence"] = refs[0]
            rows = await _STANDING_IN_ONE.rows(self.conn, params)
        else:
            rows = (await self.conn.execute(_STANDING.where(_of_occurrences(refs)), params)).all()
        found: dict[OccurrenceRef, list[tuple[str, int]]] = defaultdict(list)
        wanted = None if refs is None else set(refs)
        for code, occurrence, store, units in rows:
            if wanted is None or (code, occurrence) in wanted:
                found[(code, occurrence)].append((store, int(units)))
        return dict(found)

    async def taken_part(self, merchant_id: int, account_id: int) -> set[OccurrenceRef]:
        """Every occurrence the account has made progress in (standing or not)."""
        rows = await self.conn.execute(
            select(challenge_progress.c.challenge_code, challenge_progress.c.occurrence)
            .where(
                challenge_progress.c.merchant_id == merchant_id,
                challenge_progress.c.account_id == account_id,
                challenge_progress.c.group_id.is_(None),
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
                challenge_progress.c.group_id,
            )
            .where(*where)
            .distinct()
        )
        touched = sorted(
            {TakenBack(r.account_id, r.challenge_code, r.occurrence, r.group_id) for r in rows},
            key=lambda t: (t.group_id or 0, t.account_id, t.challenge_code, t.occurrence),
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
        row = {
            "merchant_id": merchant_id,
            "challenge_code": ref[0],
            "occurrence": ref[1],
            "account_id": account_id,
            "completed_at": now,
            "charity_code": charity_code,
            "badge_code": badge_code,
        }
        if self.postgres:
            return await _COMPLETE_POSTGRES.first(self.conn, by_name(row)) is not None
        return (await self.conn.execute(_COMPLETE_SQLITE, row)).first() is not None

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

    # --- groups -----------------------------------------------------------------------

    async def group_entries(self, merchant_id: int, group_id: int) -> dict[str, Entry]:
        rows = await self.conn.execute(
            select(challenge_group_entries).where(
                challenge_group_entries.c.merchant_id == merchant_id,
                challenge_group_entries.c.group_id == group_id,
            )
        )
        return {r.challenge_code: Entry(r.opted_in, None, r.changed_at) for r in rows}

    async def set_group_entry(
        self, merchant_id: int, challenge_code: str, group_id: int, *, opted_in: bool, now: datetime
    ) -> None:
        values = {"opted_in": opted_in, "changed_at": now}
        statement = (
            self._insert(challenge_group_entries)
            .values(
                merchant_id=merchant_id, challenge_code=challenge_code, group_id=group_id, **values
            )
            .on_conflict_do_update(
                index_elements=["merchant_id", "challenge_code", "group_id"], set_=values
            )
        )
        await self.conn.execute(statement)

    async def group_standing(
        self, merchant_id: int, group_id: int, refs: list[OccurrenceRef]
    ) -> dict[OccurrenceRef, list[tuple[str, int, int]]]:
        """(store code, units, account id) of the standing contributions to the group,
        summed by store and account, by occurrence of ``refs``."""
        if not refs:
            return {}
        progress = challenge_progress.c
        keys = (
            progress.challenge_code,
            progress.occurrence,
            progress.store_code,
            progress.account_id,
        )
        rows = await self.conn.execute(
            select(*keys, func.sum(progress.units))
            .where(
                progress.merchant_id == merchant_id,
                progress.group_id == group_id,
                _of_occurrences(refs),
                progress.taken_back_at.is_(None),
            )
            .group_by(*keys)
            .order_by(*keys)
        )
        found: dict[OccurrenceRef, list[tuple[str, int, int]]] = defaultdict(list)
        wanted = set(refs)
        for code, occurrence, store, account_id, units in rows:
            if (code, occurrence) in wanted:
                found[(code, occurrence)].append((store, int(units), account_id))
        return dict(found)

    async def group_taken_part(self, merchant_id: int, group_id: int) -> set[OccurrenceRef]:
        rows = await self.conn.execute(
            select(challenge_progress.c.challenge_code, challenge_progress.c.occurrence)
            .where(
                challenge_progress.c.merchant_id == merchant_id,
                challenge_progress.c.group_id == group_id,
            )
            .distinct()
        )
        return {(r.challenge_code, r.occurrence) for r in rows}

    async def complete_group(
        self, merchant_id: int, ref: OccurrenceRef, group_id: int, now: datetime
    ) -> bool:
        """Claim the occurrence's completion for the group; False when it is claimed."""
        statement = (
            self._insert(challenge_group_completions)
            .values(
                merchant_id=merchant_id,
                challenge_code=ref[0],
                occurrence=ref[1],
                group_id=group_id,
                completed_at=now,
            )
            .on_conflict_do_nothing()
            .returning(challenge_group_completions.c.group_id)
        )
        return (await self.conn.execute(statement)).first() is not None

    async def group_completions(self, merchant_id: int, group_id: int) -> set[OccurrenceRef]:
        rows = await self.conn.execute(
            select(
                challenge_group_completions.c.challenge_code,
                challenge_group_completions.c.occurrence,
            ).where(
                challenge_group_completions.c.merchant_id == merchant_id,
                challenge_group_completions.c.group_id == group_id,
            )
        )
        return {(r.challenge_code, r.occurrence) for r in rows}

    async def add_payout(
        self,
        merchant_id: int,
        ref: OccurrenceRef,
        group_id: int,
        user_id: int,
        account_id: int | None,
        badge_code: str | None,
    ) -> None:
        await self.conn.execute(
            challenge_group_payouts.insert().values(
                merchant_id=merchant_id,
                challenge_code=ref[0],
                occurrence=ref[1],
                group_id=group_id,
                user_id=user_id,
                account_id=account_id,
                badge_code=badge_code,
            )
        )

    async def set_payout_transaction(
        self, merchant_id: int, ref: OccurrenceRef, group_id: int, user_id: int, txn: int
    ) -> None:
        await self.conn.execute(
            update(challenge_group_payouts)
            .where(
                *self._group_key(challenge_group_payouts, merchant_id, ref, group_id),
                challenge_group_payouts.c.user_id == user_id,
            )
            .values(reward_transaction_id=txn)
        )

    async def payouts(self, merchant_id: int, ref: OccurrenceRef, group_id: int) -> list[Payout]:
        rows = await self.conn.execute(
            select(challenge_group_payouts)
            .where(*self._group_key(challenge_group_payouts, merchant_id, ref, group_id))
            .order_by(challenge_group_payouts.c.user_id)
        )
        return [Payout(r.user_id, r.account_id, r.reward_transaction_id) for r in rows]

    async def remove_group_completion(
        self, merchant_id: int, ref: OccurrenceRef, group_id: int
    ) -> None:
        for table in (challenge_group_payouts, challenge_group_completions):
            await self.conn.execute(
                delete(table).where(*self._group_key(table, merchant_id, ref, group_id))
            )

    @staticmethod
    def _group_key(
        table: Any, merchant_id: int, ref: OccurrenceRef, group_id: int
    ) -> tuple[Any, ...]:
        return (
            table.c.merchant_id == merchant_id,
            table.c.challenge_code == ref[0],
            table.c.occurrence == ref[1],
            table.c.group_id == group_id,
        )

    async def group_completion_count(
        self, merchant_id: int, challenge_code: str, group_id: int
    ) -> int:
        count = await self.conn.scalar(
            select(func.count()).where(
                challenge_group_completions.c.merchant_id == merchant_id,
                challenge_group_completions.c.challenge_code == challenge_code,
                challenge_group_completions.c.group_id == group_id,
            )
        )
        return int(count or 0)

    # --- the cap across every account ---------------------------------------------------

    async def count_completion(self, merchant_id: int, challenge_code: str, cap: int) -> bool:
        """Count one more completion of the challenge unless ``cap`` are counted; False
        when the cap is reached. The conditional update takes the tally's row lock, so
        completions racing on different accounts are counted one at a time (PostgreSQL
        rechecks the condition once the lock is free)."""
        await self.conn.execute(
            self._insert(challenge_tallies)
            .values(merchant_id=merchant_id, challenge_code=challenge_code, completions=0)
            .on_conflict_do_nothing()
        )
        found = await self.conn.execute(
            update(challenge_tallies)
            .where(
                challenge_tallies.c.merchant_id == merchant_id,
                challenge_tallies.c.challenge_code == challenge_code,
                challenge_tallies.c.completions < cap,
            )
            .values(completions=challenge_tallies.c.completions + 1)
        )
        return bool(found.rowcount)

    async def uncount_completion(self, merchant_id: int, challenge_code: str) -> None:
        """A completion taken back frees its place under the cap."""
        await self.conn.execute(
            update(challenge_tallies)
            .where(
                challenge_tallies.c.merchant_id == merchant_id,
                challenge_tallies.c.challenge_code == challenge_code,
                challenge_tallies.c.completions > 0,
            )
            .values(completions=challenge_tallies.c.completions - 1)
        )


def _of_occurrences(refs: list[OccurrenceRef]) -> ColumnElement[bool]:
    """Progress rows of these challenges and occurrence keys (a superset of ``refs``,
    which the caller narrows): two flat IN lists, served by the progress index, where
    one condition per occurrence could grow past what SQLite parses."""
    progress = challenge_progress.c
    return and_(
        progress.challenge_code.in_(sorted({code for code, _ in refs})),
        progress.occurrence.in_(sorted({occurrence for _, occurrence in refs})),
    )

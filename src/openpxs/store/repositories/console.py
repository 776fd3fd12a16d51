"""What the operator console reads that no API call does: finding guests by anything a
caller can tell a CSR, and what explains an account's transactions (their links to the
transactions they undo, their comments, the checks and lots behind them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from openpxs.domain.cards import CardStatus
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import (
    accounts,
    cards,
    checks,
    journal,
    lots,
    phone_digits,
    transactions,
    users,
)

# Ids of accounts fit a signed 64-bit integer.
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class GuestMatch:
    account_id: int
    account_status: str
    user_id: int | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    # The account's oldest active card (its oldest card when none is active).
    card_number: str | None


@dataclass(frozen=True)
class TransactionNote:
    id: int
    kind: str
    target_id: int | None
    undone_by_id: int | None
    comment: str | None
    operator_id: str | None


@dataclass(frozen=True)
class OpenLot:
    wallet_code: int
    remaining_units: int
    expires_at: datetime | None
    expires_on: date | None


@dataclass(frozen=True)
class LapsedLot:
    transaction_id: int
    wallet_code: int
    units: int
    expires_at: datetime | None
    expires_on: date | None


class ConsoleRepository(Repository):
    __slots__ = ()

    async def find_guests(self, merchant_id: int, text: str, limit: int) -> list[GuestMatch]:
        """Accounts whose card number or id is ``text``, or whose registered guest has
        it as e-mail, phone (by its digits) or name ("first last" or either alone).
        Each test is an equality on an indexed column or expression."""
        wanted = text.strip()
        lowered = wanted.lower()
        digits = "".join(ch for ch in wanted if ch.isdigit())
        by_account: list[Any] = []
        if wanted.isdigit():
            by_account.append(
                select(cards.c.account_id).where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.printed_card_number == wanted,
                    cards.c.account_id.is_not(None),
                )
            )
            if int(wanted) <= _MAX_ID:
                by_account.append(
                    select(accounts.c.id).where(
                        accounts.c.merchant_id == merchant_id, accounts.c.id == int(wanted)
                    )
                )
        user_terms = []
        if "@" in lowered:
            user_terms.append(func.lower(users.c.email) == lowered)
        elif digits and len(digits) >= 7 and set(wanted) <= set("0123456789 +-()."):
            # By their digits however the guest wrote them (indexes of the digits).
            user_terms += [
                phone_digits(users.c.phone) == digits,
                phone_digits(users.c.mobile_phone) == digits,
            ]
        elif wanted:
            words = lowered.split()
            if len(words) >= 2:
                first, last = words[0], " ".join(words[1:])
                user_terms.append(
                    and_(func.lower(users.c.first_name) == first,
                         func.lower(users.c.last_name) == last)
                )  # fmt: skip
            user_terms += [
                func.lower(users.c.last_name) == lowered,
                func.lower(users.c.first_name) == lowered,
            ]
        if user_terms:
            by_account.append(
                select(users.c.account_id).where(
                    users.c.merchant_id == merchant_id, or_(*user_terms)
                )
            )
        if not by_account:
            return []
        ids: set[int] = set()
        for query in by_account:
            ids.update((await self.conn.execute(query.limit(limit))).scalars())
        return await self.matches(merchant_id, sorted(ids)[:limit])

    async def matches(self, merchant_id: int, account_ids: list[int]) -> list[GuestMatch]:
        if not account_ids:
            return []
        account_rows = await self.conn.execute(
            select(accounts.c.id, accounts.c.status, accounts.c.user_id).where(
                accounts.c.merchant_id == merchant_id, accounts.c.id.in_(account_ids)
            )
        )
        found = {r.id: r for r in account_rows}
        user_ids = [r.user_id for r in found.values() if r.user_id is not None]
        people = {}
        if user_ids:
            rows = await self.conn.execute(
                select(users).where(users.c.merchant_id == merchant_id, users.c.id.in_(user_ids))
            )
            people = {r.id: r for r in rows}
        card_rows = await self.conn.execute(
            select(cards.c.account_id, cards.c.printed_card_number, cards.c.status)
            .where(cards.c.merchant_id == merchant_id, cards.c.account_id.in_(list(found)))
            .order_by(cards.c.id)
        )
        oldest: dict[int, str] = {}
        active: dict[int, str] = {}
        for r in card_rows:
            oldest.setdefault(r.account_id, r.printed_card_number)
            if r.status == CardStatus.ACTIVE.value:
                active.setdefault(r.account_id, r.printed_card_number)
        numbers = {**oldest, **active}
        result = []
        for account_id in account_ids:
            row = found.get(account_id)
            if row is None:
                continue
            person = people.get(row.user_id) if row.user_id is not None else None
            result.append(
                GuestMatch(
                    account_id=account_id,
                    account_status=row.status,
                    user_id=row.user_id,
                    first_name=person.first_name if person else None,
                    last_name=person.last_name if person else None,
                    email=person.email if person else None,
                    phone=(person.mobile_phone or person.phone) if person else None,
                    card_number=numbers.get(account_id),
                )
            )
        return result

    async def transaction_notes(
        self, merchant_id: int, ids: list[int]
    ) -> dict[int, TransactionNote]:
        """What links each transaction to others, and who said what about it."""
        found: dict[int, TransactionNote] = {}
        for start in range(0, len(ids), CHUNK):
            rows = await self.conn.execute(
                select(
                    transactions.c.id,
                    transactions.c.kind,
                    transactions.c.target_id,
                    transactions.c.undone_by_id,
                    transactions.c.comment,
                    transactions.c.operator_id,
                ).where(
                    transactions.c.merchant_id == merchant_id,
                    transactions.c.id.in_(ids[start : start + CHUNK]),
                )
            )
            for r in rows:
                found[r.id] = TransactionNote(
                    r.id, r.kind, r.target_id, r.undone_by_id, r.comment, r.operator_id
                )
        return found

    async def check_outcomes(
        self, merchant_id: int, account_id: int, ids: list[int]
    ) -> dict[int, tuple[str, dict[str, Any]]]:
        """The stored outcome of the checks that accrued or redeemed in these
        transactions, by transaction id, with the check's number."""
        found: dict[int, tuple[str, dict[str, Any]]] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = await self.conn.execute(
                select(
                    checks.c.check_number,
                    checks.c.outcome,
                    checks.c.accrual_transaction_id,
                    checks.c.redemption_transaction_id,
                ).where(
                    checks.c.merchant_id == merchant_id,
                    checks.c.account_id == account_id,
                    or_(
                        checks.c.accrual_transaction_id.in_(chunk),
                        checks.c.redemption_transaction_id.in_(chunk),
                    ),
                )
            )
            for r in rows:
                for txn in (r.accrual_transaction_id, r.redemption_transaction_id):
                    if txn in chunk:
                        found[txn] = (r.check_number, dict(r.outcome or {}))
        return found

    async def lapsed_lots(
        self, merchant_id: int, account_id: int, ids: list[int]
    ) -> list[LapsedLot]:
        """The lots each of these (expiry) transactions wrote off, with their expiry."""
        rows = await self.conn.execute(
            select(
                journal.c.transaction_id,
                journal.c.wallet_code,
                journal.c.units,
                lots.c.expires_at,
                lots.c.expires_on,
            )
            .select_from(
                journal.outerjoin(
                    lots,
                    (lots.c.merchant_id == journal.c.merchant_id) & (lots.c.id == journal.c.lot_id),
                )
            )
            .where(
                journal.c.merchant_id == merchant_id,
                journal.c.account_id == account_id,
                journal.c.transaction_id.in_(ids[:CHUNK]),
            )
            .order_by(journal.c.id)
        )
        return [
            LapsedLot(r.transaction_id, r.wallet_code, r.units, r.expires_at, r.expires_on)
            for r in rows
        ]

    async def open_lots(self, merchant_id: int, account_id: int) -> list[OpenLot]:
        """The account's lots with value left, soonest expiry first."""
        rows = await self.conn.execute(
            select(lots.c.wallet_code, lots.c.remaining_units, lots.c.expires_at, lots.c.expires_on)
            .where(
                lots.c.merchant_id == merchant_id,
                lots.c.account_id == account_id,
                lots.c.remaining_units > 0,
            )
            .order_by(lots.c.wallet_code, lots.c.expires_at.is_(None), lots.c.expires_at, lots.c.id)
        )
        return [OpenLot(r.wallet_code, r.remaining_units, r.expires_at, r.expires_on) for r in rows]

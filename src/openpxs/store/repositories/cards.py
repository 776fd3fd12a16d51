"""Cards: finding them by number, locking them, and moving them between states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, column, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnClause

from openpxs.domain.cards import Account, AccountStatus, Card, CardStatus
from openpxs.domain.challenges import AudienceFacts
from openpxs.domain.transactions import CardChange
from openpxs.security import seal_registration_code
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import UTCDateTime, accounts, cards, idempotency_keys, transaction_cards

_CARD_COLUMNS = (
    cards.c.id,
    cards.c.printed_card_number,
    cards.c.registration_code,
    cards.c.template_code,
    cards.c.status,
    cards.c.account_id,
)

# Built once: the card lookup runs on every POS call, and building a SQLAlchemy
# expression and its cache key costs more than the database spends running it.
_FIND = (
    select(*_CARD_COLUMNS, accounts.c.status)
    .select_from(
        cards.outerjoin(
            accounts,
            (accounts.c.merchant_id == cards.c.merchant_id) & (accounts.c.id == cards.c.account_id),
        )
    )
    .where(cards.c.merchant_id == bindparam("m"), cards.c.printed_card_number == bindparam("n"))
)
_FIND_LOCKED = _FIND.with_for_update(of=cards)
_ACTIVATE = (
    update(cards)
    .where(cards.c.merchant_id == bindparam("m"), cards.c.id == bindparam("card"))
    .values(
        status=CardStatus.ACTIVE.value,
        account_id=bindparam("account"),
        activated_at=bindparam("at"),
    )
)
# PostgreSQL: the card locked, then its account (cards before accounts, as every use
# case locks them). Under READ COMMITTED a locked row is re-read at its newest version
# after a wait, so the account followed is the card's account as it is now, and the
# status read is the one under the lock. SQLite's BEGIN IMMEDIATE holds the whole
# database already.
_LOCK_CARD_AND_ACCOUNT = """
card AS (
  SELECT id, printed_card_number, registration_code, template_code, status, account_id
  FROM cards WHERE merchant_id = :m AND printed_card_number = :n
  FOR UPDATE
), account AS (
  SELECT a.id, a.status, a.template_code, a.tier_code, a.created_at, a.registered_at,
         a.user_id
  FROM accounts a JOIN card ON a.id = card.account_id
  WHERE a.merchant_id = :m
  FOR UPDATE OF a
)
"""


def card_row_columns() -> tuple[ColumnClause[Any], ...]:
    """A card's columns with its account's status, as the statements that read a card
    by SQL text name them (ledger.py reads the book with them)."""
    return (
        column("id", BigInteger),
        column("printed_card_number", String),
        column("registration_code", String),
        column("template_code", Integer),
        column("status", String),
        column("account_id", BigInteger),
        column("account_status", String),
    )


# What a challenge's audience looks at on the account (domain.challenges.AudienceFacts),
# read with the card: a posted check then need not read the account again.
_ACCOUNT_FACTS = (
    accounts.c.template_code.label("account_template_code"),
    accounts.c.tier_code,
    accounts.c.created_at,
    accounts.c.registered_at,
    accounts.c.user_id,
)
_ACCOUNT_FACT_COLUMNS = tuple(column(c.name, c.type) for c in _ACCOUNT_FACTS)
# A posted check's lock: its first statement is the check's claim, so this one goes
# straight to the driver (direct.DirectQuery). The account's columns are those of the
# locked row at its newest version (a row locked after a wait is read again), so they
# are what the rest of the call would read; another table's rows would be read as they
# were when the statement began, before any wait, and are read after it instead.
_FIND_LOCKING_ACCOUNT = DirectQuery(
    text(
        f"""
WITH {_LOCK_CARD_AND_ACCOUNT}
SELECT card.id, card.printed_card_number, card.registration_code, card.template_code,
       card.status, card.account_id, account.status AS account_status,
       account.template_code AS account_template_code, account.tier_code,
       account.created_at, account.registered_at, account.user_id
FROM card LEFT JOIN account ON account.id = card.account_id
"""
    ).columns(*card_row_columns(), *_ACCOUNT_FACT_COLUMNS)
)
# SQLite: the same read (BEGIN IMMEDIATE holds the whole database already).
_FIND_WITH_ACCOUNT = DirectQuery(_FIND.add_columns(*_ACCOUNT_FACTS))
_INSERT_CHANGES = transaction_cards.insert()
_CLAIM = idempotency_keys.insert()
# PostgreSQL: the call's retry keys claimed, the card locked and its account locked, in
# one round trip. A key already held fails the statement (the caller replays), after
# waiting for a twin still in flight, exactly as a separate INSERT would.
_CLAIM_AND_LOCK = text(
    f"""
WITH claimed AS (
  INSERT INTO idempotency_keys (merchant_id, scope, request_hash, reply, created_at)
  SELECT :m, s, :h, NULL, :now FROM unnest(CAST(:scopes AS VARCHAR[])) AS s
  RETURNING 1
), {_LOCK_CARD_AND_ACCOUNT}
SELECT card.id, card.printed_card_number, card.registration_code, card.template_code,
       card.status, card.account_id, account.status, (SELECT count(*) FROM claimed),
       nextval('transactions_id_seq'),
       CASE WHEN card.status = 'inactive' THEN nextval('accounts_id_seq') END
FROM card LEFT JOIN account ON account.id = card.account_id
"""
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("scopes", type_=ARRAY(String)))


def _card(row: Any, account_status: str | None = None) -> Card:
    return Card(
        row[0],
        row[1],
        row[2],
        row[3],
        CardStatus(row[4]),
        row[5],
        AccountStatus(account_status) if account_status is not None else None,
    )


class CardRepository(Repository):
    __slots__ = ()

    async def find(self, merchant_id: int, number: str, *, lock: bool = False) -> Card | None:
        """The merchant's card with its account's status; another merchant's card is
        simply not there."""
        query = _FIND_LOCKED if lock else _FIND
        row = (await self.conn.execute(query, {"m": merchant_id, "n": number})).first()
        return _card(row, row[6]) if row is not None else None

    async def find_locking_account(
        self, merchant_id: int, number: str
    ) -> tuple[Card | None, AudienceFacts | None]:
        """The card and its account both locked (cards first, as every use case locks
        them); ``Card.account_status`` is the status under the lock. With it, what a
        challenge's audience looks at on that account, as locked (None without one)."""
        params = {"m": merchant_id, "n": number}
        if self.postgres:
            row = await _FIND_LOCKING_ACCOUNT.first(self.conn, params)
        else:
            row = await _FIND_WITH_ACCOUNT.first(self.conn, params)
        if row is None:
            return None, None
        card = _card(row, row[6])
        if row[6] is None:
            return card, None
        return card, AudienceFacts(
            row.account_template_code,
            row.tier_code,
            row.registered_at or row.created_at,
            row.user_id,
        )

    async def claim_and_lock(
        self,
        merchant_id: int,
        number: str,
        scopes: list[str],
        request_hash: str,
        now: datetime,
    ) -> tuple[Card | None, int | None, int | None]:
        """Claim retry keys, then lock the card and its account (``Card.account_status``
        is then the status under the lock). A key already held raises IntegrityError.

        On PostgreSQL also the id the call's transaction record will have, taken from
        its sequence now so that the record, its postings and the reply naming it can
        be written in one statement at the end; and for an inactive card the id of the
        account it would be activated on."""
        if self.postgres:
            row = (
                await self.conn.execute(
                    _CLAIM_AND_LOCK,
                    {
                        "m": merchant_id,
                        "n": number,
                        "h": request_hash,
                        "now": now,
                        "scopes": scopes,
                    },
                )
            ).first()
            if row is None:
                return None, None, None
            return _card(row, row[6]), int(row[8]), row[9]
        # SQLite: in-process, and the whole database is held since BEGIN IMMEDIATE.
        if scopes:
            await self.conn.execute(
                _CLAIM,
                [
                    {
                        "merchant_id": merchant_id,
                        "scope": scope,
                        "request_hash": request_hash,
                        "reply": None,
                        "created_at": now,
                    }
                    for scope in scopes
                ],
            )
        return await self.find(merchant_id, number, lock=True), None, None

    async def find_many(
        self, merchant_id: int, numbers: list[str], *, lock: bool = False
    ) -> dict[str, Card]:
        """Cards by number; with ``lock``, their row locks are taken in id order."""
        found: dict[str, Card] = {}
        for start in range(0, len(numbers), CHUNK):
            query = select(*_CARD_COLUMNS).where(
                cards.c.merchant_id == merchant_id,
                cards.c.printed_card_number.in_(numbers[start : start + CHUNK]),
            )
            for row in await self.conn.execute(query):
                card = _card(row)
                found[card.number] = card
        if lock and found:
            # Read first, then lock by id across all chunks: two overlapping bulk sales
            # listing cards in different orders still lock them in the same order.
            locked = await self.by_ids(merchant_id, [c.id for c in found.values()], lock=True)
            found = {card.number: card for card in locked}
        return found

    async def by_ids(self, merchant_id: int, ids: list[int], *, lock: bool = False) -> list[Card]:
        ordered = sorted(set(ids))
        result: list[Card] = []
        for start in range(0, len(ordered), CHUNK):
            query = (
                select(*_CARD_COLUMNS)
                .where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.id.in_(ordered[start : start + CHUNK]),
                )
                .order_by(cards.c.id)
            )
            if lock:
                query = query.with_for_update()
            result.extend(_card(row) for row in await self.conn.execute(query))
        return result

    async def with_account(self, merchant_id: int, number: str) -> tuple[Card, Account] | None:
        """A card that belongs to an account, with that account."""
        row = (
            await self.conn.execute(
                select(
                    *_CARD_COLUMNS,
                    accounts.c.template_code.label("account_template"),
                    accounts.c.status.label("account_status"),
                    accounts.c.user_id,
                )
                .select_from(
                    cards.join(
                        accounts,
                        (accounts.c.merchant_id == cards.c.merchant_id)
                        & (accounts.c.id == cards.c.account_id),
                    )
                )
                .where(cards.c.merchant_id == merchant_id, cards.c.printed_card_number == number)
            )
        ).first()
        if row is None:
            return None
        account = Account(
            row.account_id, row.account_template, AccountStatus(row.account_status), row.user_id
        )
        return _card(row, row.account_status), account

    async def of_accounts(self, merchant_id: int, account_ids: list[int]) -> list[int]:
        """Ids of every card of these accounts, whatever their state."""
        found: list[int] = []
        for start in range(0, len(account_ids), CHUNK):
            rows = await self.conn.execute(
                select(cards.c.id).where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.account_id.in_(account_ids[start : start + CHUNK]),
                )
            )
            found.extend(row.id for row in rows)
        return found

    async def has_other_active(self, merchant_id: int, account_id: int, card_id: int) -> bool:
        """Whether the account has an active card besides ``card_id``."""
        row = (
            await self.conn.execute(
                select(cards.c.id)
                .where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.account_id == account_id,
                    cards.c.status == CardStatus.ACTIVE.value,
                    cards.c.id != card_id,
                )
                .limit(1)
            )
        ).first()
        return row is not None

    async def activate(
        self,
        merchant_id: int,
        transaction_id: int,
        activations: list[tuple[Card, int]],
        now: datetime,
    ) -> None:
        """Make each inactive card active on its new account, recording each change."""
        await self.record_changes(
            merchant_id,
            transaction_id,
            [(card, account_id, CardStatus.ACTIVE) for card, account_id in activations],
        )
        await self.conn.execute(
            _ACTIVATE,
            [
                {"m": merchant_id, "card": card.id, "account": account_id, "at": now}
                for card, account_id in activations
            ],
        )

    async def change(
        self,
        merchant_id: int,
        transaction_id: int,
        changes: list[tuple[Card, int, CardStatus]],
        now: datetime,
    ) -> None:
        """Give each card a new state on an account, recording each change. A card that
        becomes active is stamped with its activation time."""
        await self.record_changes(merchant_id, transaction_id, changes)
        for card, account_id, status in changes:
            values: dict[str, object] = {"status": status.value, "account_id": account_id}
            if status == CardStatus.ACTIVE and card.status == CardStatus.INACTIVE:
                values["activated_at"] = now
            elif status == CardStatus.EXCHANGED:
                values["activated_at"] = None
            await self.conn.execute(
                update(cards)
                .where(cards.c.merchant_id == merchant_id, cards.c.id == card.id)
                .values(**values)
            )

    async def move_to_account(self, merchant_id: int, card_ids: list[int], account_id: int) -> None:
        for start in range(0, len(card_ids), CHUNK):
            await self.conn.execute(
                update(cards)
                .where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.id.in_(card_ids[start : start + CHUNK]),
                )
                .values(account_id=account_id)
            )

    async def put_back(
        self,
        merchant_id: int,
        transaction_id: int,
        reverts: list[tuple[Card, CardStatus, int]],
    ) -> None:
        """Put cards back as an undone transaction found them: (card, status, account_id).

        Each change is recorded under ``transaction_id``; a card back to inactive leaves
        its account.
        """
        if not reverts:
            return
        await self.record_changes(
            merchant_id,
            transaction_id,
            [(card, account_id, status) for card, status, account_id in reverts],
        )
        to_inactive = [card.id for card, status, _ in reverts if status == CardStatus.INACTIVE]
        to_other = [
            {"m": merchant_id, "card": card.id, "st": status.value, "account": account_id}
            for card, status, account_id in reverts
            if status != CardStatus.INACTIVE
        ]
        for start in range(0, len(to_inactive), CHUNK):
            await self.conn.execute(
                update(cards)
                .where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.id.in_(to_inactive[start : start + CHUNK]),
                )
                .values(status=CardStatus.INACTIVE.value, account_id=None, activated_at=None)
            )
        if to_other:
            await self.conn.execute(
                update(cards)
                .where(cards.c.merchant_id == bindparam("m"), cards.c.id == bindparam("card"))
                .values(status=bindparam("st"), account_id=bindparam("account")),
                to_other,
            )

    async def record_changes(
        self,
        merchant_id: int,
        transaction_id: int,
        changes: list[tuple[Card, int, CardStatus]],
    ) -> None:
        """Note (card, account_id, new status) changes made by a transaction, so they can
        be put back by a void or reverse."""
        await self.conn.execute(
            _INSERT_CHANGES,
            [
                {
                    "merchant_id": merchant_id,
                    "transaction_id": transaction_id,
                    "card_id": card.id,
                    "account_id": account_id,
                    "from_status": card.status.value,
                    "to_status": to_status.value,
                }
                for card, account_id, to_status in changes
            ],
        )

    async def changes_of(self, merchant_id: int, transaction_id: int) -> list[CardChange]:
        rows = await self.conn.execute(
            select(
                transaction_cards.c.card_id,
                transaction_cards.c.account_id,
                transaction_cards.c.from_status,
                transaction_cards.c.to_status,
            )
            .where(
                transaction_cards.c.merchant_id == merchant_id,
                transaction_cards.c.transaction_id == transaction_id,
            )
            .order_by(transaction_cards.c.id)
        )
        return [
            CardChange(r.card_id, r.account_id, CardStatus(r.from_status), CardStatus(r.to_status))
            for r in rows
        ]

    async def add_inactive(
        self, merchant_id: int, number: str, *, template_code: int, registration_code: str
    ) -> bool:
        """A new inactive card with this number (a virtual card, made for the guest who
        enrolls); False, and nothing written, when the merchant has the number already."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(cards).values(
                        merchant_id=merchant_id,
                        printed_card_number=number,
                        registration_code=seal_registration_code(number, registration_code),
                        template_code=template_code,
                        status=CardStatus.INACTIVE.value,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def of_account(self, merchant_id: int, account_id: int) -> list[Card]:
        """Every card of the account, whatever its state, oldest first."""
        rows = await self.conn.execute(
            select(*_CARD_COLUMNS)
            .where(cards.c.merchant_id == merchant_id, cards.c.account_id == account_id)
            .order_by(cards.c.id)
        )
        return [_card(row) for row in rows]

    async def lowest_active_number(self, merchant_id: int, account_id: int) -> str | None:
        """The account's lowest-numbered active card, as accountQuery reports it."""
        number = (
            await self.conn.execute(
                select(cards.c.printed_card_number)
                .where(
                    cards.c.merchant_id == merchant_id,
                    cards.c.account_id == account_id,
                    cards.c.status == CardStatus.ACTIVE.value,
                )
                .order_by(cards.c.printed_card_number)
                .limit(1)
            )
        ).scalar()
        return str(number) if number is not None else None

"""Read-only POS lookups: history, guest search, check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.clock import end_of_day
from openpxs.domain.money import from_units
from openpxs.domain.program import Program, WalletDef
from openpxs.services.accounts import CardRef, get_card
from openpxs.store.tables import cards, checkins, journal, stores, transaction_cards, transactions
from openpxs.store.tables import users as users_table

MAX_HISTORY = 500


@dataclass
class HistoryDetail:
    wallet: WalletDef
    accrued: object
    redeemed: object
    balance: object


@dataclass
class HistoryEntry:
    id: int
    kind: str
    at: datetime
    store_code: str | None
    store_name: str | None
    pos_transaction_id: str | None
    card_number: str | None
    has_comment: bool
    details: list[HistoryDetail]


async def history(
    conn: AsyncConnection,
    program: Program,
    ref: CardRef,
    start: date | None,
    end: date | None,
    limit: int | None,
    only_balance_affecting: bool,
) -> list[HistoryEntry]:
    """The account's transactions, newest first, with per-wallet amounts and balances."""
    card = await get_card(conn, program.merchant_id, ref)
    if card.account_id is None:
        return []
    m, account = program.merchant_id, card.account_id
    in_journal = select(journal.c.transaction_id).where(
        journal.c.merchant_id == m, journal.c.account_id == account
    )
    conditions = [transactions.c.merchant_id == m]
    if only_balance_affecting:
        conditions.append(transactions.c.id.in_(in_journal))
    else:
        conditions.append(
            or_(
                transactions.c.account_id == account,
                transactions.c.id.in_(in_journal),
                transactions.c.id.in_(
                    select(transaction_cards.c.transaction_id).where(
                        transaction_cards.c.merchant_id == m,
                        transaction_cards.c.account_id == account,
                    )
                ),
            )
        )
    # Days at the very ends of the calendar bound nothing (and have no neighbour day).
    if start is not None and start > date.min:
        conditions.append(
            transactions.c.created_at >= end_of_day(start - timedelta(days=1), program.timezone)
        )
    if end is not None and end < date.max - timedelta(days=1):
        conditions.append(transactions.c.created_at < end_of_day(end, program.timezone))
    count = min(limit or MAX_HISTORY, MAX_HISTORY)
    rows = (
        (
            await conn.execute(
                select(transactions, stores.c.name.label("store_name"))
                .select_from(
                    transactions.outerjoin(
                        stores,
                        and_(
                            stores.c.merchant_id == transactions.c.merchant_id,
                            stores.c.code == transactions.c.store_code,
                        ),
                    )
                )
                .where(*conditions)
                .order_by(transactions.c.id.desc())
                .limit(count)
            )
        )
        .mappings()
        .all()
    )
    ids = [r["id"] for r in rows]
    details = await _details(conn, program, account, ids)
    return [
        HistoryEntry(
            id=r["id"],
            kind=r["kind"],
            at=r["created_at"],
            store_code=r["store_code"],
            store_name=r["store_name"],
            pos_transaction_id=r["pos_transaction_id"],
            card_number=r["card_number"] or card.number,
            has_comment=bool(r["comment"]),
            details=details.get(r["id"], []),
        )
        for r in rows
    ]


async def _details(
    conn: AsyncConnection, program: Program, account: int, ids: list[int]
) -> dict[int, list[HistoryDetail]]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(
            journal.c.transaction_id,
            journal.c.wallet_code,
            journal.c.units,
            journal.c.balance_after_units,
        )
        .where(
            journal.c.merchant_id == program.merchant_id,
            journal.c.account_id == account,
            journal.c.transaction_id.in_(ids),
        )
        .order_by(journal.c.id)
    )
    sums: dict[tuple[int, int], list[int]] = {}
    for r in rows:
        acc = sums.setdefault((r.transaction_id, r.wallet_code), [0, 0, 0])
        if r.units > 0:
            acc[0] += r.units
        else:
            acc[1] -= r.units
        acc[2] = r.balance_after_units
    result: dict[int, list[HistoryDetail]] = {}
    for (txn, code), (accrued, redeemed, balance) in sorted(sums.items()):
        wallet = program.wallets.get(code)
        if wallet is None:
            continue
        result.setdefault(txn, []).append(
            HistoryDetail(
                wallet,
                from_units(accrued, wallet.scale),
                from_units(redeemed, wallet.scale),
                from_units(balance, wallet.scale),
            )
        )
    return result


@dataclass
class FoundAccount:
    account_id: int
    card_number: str
    fields: dict[str, str]


SEARCHABLE = {
    "phone": ("phone", "mobile_phone"),
    "email": ("email",),
    "firstName": ("first_name",),
    "lastName": ("last_name",),
    "postalCode": ("postal_code",),
}


async def account_query(
    conn: AsyncConnection, program: Program, queries: list[dict[str, str]], page_size: int
) -> list[FoundAccount]:
    """Accounts whose registered guest matches every field of any one query."""
    alternatives = []
    for query in queries:
        terms = []
        for name, value in query.items():
            columns = [users_table.c[col] for col in SEARCHABLE[name]]
            wanted = value.strip().lower()
            if name == "phone":
                wanted = "".join(ch for ch in wanted if ch.isdigit())
            terms.append(or_(*(func.lower(col) == wanted for col in columns)))
        if terms:
            alternatives.append(and_(*terms))
    if not alternatives:
        return []
    primary_card = (
        select(func.min(cards.c.printed_card_number))
        .where(
            cards.c.merchant_id == users_table.c.merchant_id,
            cards.c.account_id == users_table.c.account_id,
            cards.c.status == "active",
        )
        .scalar_subquery()
    )
    rows = await conn.execute(
        select(users_table, primary_card.label("card_number"))
        .where(users_table.c.merchant_id == program.merchant_id, or_(*alternatives))
        .order_by(users_table.c.account_id)
        .limit(page_size)
    )
    found = []
    for r in rows.mappings():
        if r["card_number"] is None:
            continue
        fields = {
            "firstName": r["first_name"],
            "lastName": r["last_name"],
            "email": r["email"],
            "phone": r["phone"] or r["mobile_phone"],
            "postalCode": r["postal_code"],
        }
        found.append(
            FoundAccount(r["account_id"], r["card_number"], {k: v for k, v in fields.items() if v})
        )
    return found


@dataclass
class Checkin:
    account_id: int
    card_number: str
    first_name: str | None
    last_name: str | None
    at: datetime
    short_card_number: str | None
    expires_at: datetime


async def checkins_at(
    conn: AsyncConnection, program: Program, store_code: str, now: datetime
) -> list[Checkin]:
    """Guests whose mobile check-in at this store has not yet lapsed, newest first."""
    rows = await conn.execute(
        select(
            checkins, cards.c.printed_card_number, users_table.c.first_name, users_table.c.last_name
        )
        .select_from(
            checkins.join(
                cards,
                and_(
                    cards.c.merchant_id == checkins.c.merchant_id, cards.c.id == checkins.c.card_id
                ),
            ).outerjoin(
                users_table,
                and_(
                    users_table.c.merchant_id == checkins.c.merchant_id,
                    users_table.c.account_id == checkins.c.account_id,
                ),
            )
        )
        .where(
            checkins.c.merchant_id == program.merchant_id,
            checkins.c.store_code == store_code,
            checkins.c.expires_at > now,
        )
        .order_by(checkins.c.checked_in_at.desc())
    )
    return [
        Checkin(
            r["account_id"],
            r["printed_card_number"],
            r["first_name"],
            r["last_name"],
            r["checked_in_at"],
            r["short_card_number"],
            r["expires_at"],
        )
        for r in rows.mappings()
    ]

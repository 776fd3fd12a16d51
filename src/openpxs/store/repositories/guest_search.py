"""Finding registered guests by what a cashier can ask them (accountQuery)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from sqlalchemy import ColumnElement, func, select, union

from openpxs.domain.cards import CardStatus
from openpxs.store.repositories import Repository
from openpxs.store.tables import cards, phone_digits, users


@dataclass(frozen=True)
class FoundGuest:
    account_id: int
    card_number: str
    fields: dict[str, str]


# accountQuery fields and the user columns each matches (case-insensitively).
SEARCHABLE = {
    "phone": ("phone", "mobile_phone"),
    "email": ("email",),
    "firstName": ("first_name",),
    "lastName": ("last_name",),
    "postalCode": ("postal_code",),
}


def _conjunctions(query: dict[str, str]) -> list[list[ColumnElement[bool]]]:
    """A query's fields as the ways a guest can match them all: one equality per field,
    for each choice of column (a phone number is the phone or the mobile phone). Phone
    numbers compare by their digits however either side wrote them (an index of each
    column's digits serves it); other fields whatever their case."""
    choices = []
    for name, value in query.items():
        columns = [users.c[col] for col in SEARCHABLE[name]]
        if name == "phone":
            digits = "".join(ch for ch in value if ch.isdigit())
            choices.append([phone_digits(col) == digits for col in columns])
        else:
            wanted = value.strip().lower()
            choices.append([func.lower(col) == wanted for col in columns])
    return [list(chosen) for chosen in product(*choices)] if choices else []


class GuestSearchRepository(Repository):
    __slots__ = ()

    async def search(
        self, merchant_id: int, queries: list[dict[str, str]], page_size: int
    ) -> list[FoundGuest]:
        """Accounts whose registered guest matches every field of any one query, with
        their primary active card; phone numbers compare by their digits."""
        matching = [
            select(users.c.id).where(users.c.merchant_id == merchant_id, *conditions)
            for query in queries
            for conditions in _conjunctions(query)
            if conditions
        ]
        if not matching:
            return []
        # Each way a guest can match is one read with only equalities, which an index of
        # the merchant and that column serves; joined by OR under the merchant, SQLite
        # walked the merchant's guests in account order instead.
        rows = (
            await self.conn.execute(
                select(users)
                .where(users.c.id.in_(union(*matching)))
                .order_by(users.c.account_id)
                .limit(page_size)
            )
        ).mappings()
        page = list(rows)
        card_numbers = await self._primary_cards(merchant_id, [r["account_id"] for r in page])
        found = []
        for r in page:
            card_number = card_numbers.get(r["account_id"])
            if card_number is None:
                continue
            fields = {
                "firstName": r["first_name"],
                "lastName": r["last_name"],
                "email": r["email"],
                "phone": r["phone"] or r["mobile_phone"],
                "postalCode": r["postal_code"],
            }
            found.append(
                FoundGuest(r["account_id"], card_number, {k: v for k, v in fields.items() if v})
            )
        return found

    async def _primary_cards(self, merchant_id: int, account_ids: list[int]) -> dict[int, str]:
        """Each account's primary card (its smallest active number), read by account. (As
        a subquery of the search, SQLite found it by walking the merchant's cards in
        number order until one was the account's.)"""
        if not account_ids:
            return {}
        rows = await self.conn.execute(
            select(cards.c.account_id, func.min(cards.c.printed_card_number))
            .where(
                cards.c.merchant_id == merchant_id,
                cards.c.account_id.in_(account_ids),
                cards.c.status == CardStatus.ACTIVE.value,
            )
            .group_by(cards.c.account_id)
        )
        return {account_id: number for account_id, number in rows}

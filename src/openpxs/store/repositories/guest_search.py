"""Finding registered guests by what a cashier can ask them (accountQuery)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from openpxs.domain.cards import CardStatus
from openpxs.store.repositories import Repository
from openpxs.store.tables import cards, users


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


class GuestSearchRepository(Repository):
    __slots__ = ()

    async def search(
        self, merchant_id: int, queries: list[dict[str, str]], page_size: int
    ) -> list[FoundGuest]:
        """Accounts whose registered guest matches every field of any one query, with
        their primary active card; phone numbers compare by their digits."""
        alternatives = []
        for query in queries:
            terms = []
            for name, value in query.items():
                columns = [users.c[col] for col in SEARCHABLE[name]]
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
                cards.c.merchant_id == users.c.merchant_id,
                cards.c.account_id == users.c.account_id,
                cards.c.status == CardStatus.ACTIVE.value,
            )
            .scalar_subquery()
        )
        rows = await self.conn.execute(
            select(users, primary_card.label("card_number"))
            .where(users.c.merchant_id == merchant_id, or_(*alternatives))
            .order_by(users.c.account_id)
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
                FoundGuest(
                    r["account_id"], r["card_number"], {k: v for k, v in fields.items() if v}
                )
            )
        return found

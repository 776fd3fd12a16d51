"""Payment methods kept on accounts: processor tokens and display data, never numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from openpxs.domain.payments import BillingAddress, CardDisplay
from openpxs.store.repositories import Repository
from openpxs.store.tables import payment_methods as pm


@dataclass(frozen=True)
class StoredMethod:
    merchant_id: int
    id: int
    account_id: int
    processor: str
    token: str
    card: CardDisplay | None
    cardholder_name: str | None
    address: BillingAddress | None
    usages: tuple[str, ...]
    saved_cc: bool


def _method(row: Row[Any]) -> StoredMethod:
    m = row._mapping
    card = None
    if m["card_brand"] and m["card_last4"]:
        month, _, year = (m["card_expiry"] or "").partition("/")
        card = CardDisplay(
            m["card_brand"],
            m["card_last4"],
            int(month) if month.isdigit() else None,
            int(year) if year.isdigit() else None,
        )
    address = BillingAddress(**m["address"]) if m["address"] else None
    return StoredMethod(
        merchant_id=m["merchant_id"],
        id=m["id"],
        account_id=m["account_id"],
        processor=m["processor"],
        token=m["token"],
        card=card,
        cardholder_name=m["cardholder_name"],
        address=address,
        usages=tuple(m["usages"] or ()),
        saved_cc=bool(m["saved_cc"]),
    )


class PaymentMethodRepository(Repository):
    __slots__ = ()

    async def saved_card(self, merchant_id: int, account_id: int) -> StoredMethod | None:
        """The account's saved credit card."""
        row = (
            await self.conn.execute(
                select(pm).where(
                    pm.c.merchant_id == merchant_id,
                    pm.c.account_id == account_id,
                    pm.c.saved_cc.is_(True),
                )
            )
        ).first()
        return None if row is None else _method(row)

    async def replace_saved_card(
        self,
        merchant_id: int,
        account_id: int,
        processor: str,
        token: str,
        card: CardDisplay | None,
        cardholder_name: str | None,
        address: BillingAddress | None,
        now: datetime,
    ) -> list[StoredMethod]:
        """Keep ``token`` as the account's saved credit card; returns the card(s) it
        replaced, for the caller to ask the processor to forget."""
        replaced = await self.delete_saved_card(merchant_id, account_id)
        expiry = (
            f"{card.exp_month:02d}/{card.exp_year}"
            if card and card.exp_month and card.exp_year
            else None
        )
        await self.conn.execute(
            insert(pm).values(
                merchant_id=merchant_id,
                account_id=account_id,
                processor=processor,
                token=token,
                card_brand=card.brand[:16] if card else None,
                card_last4=card.last4[-4:] if card else None,
                card_expiry=expiry,
                cardholder_name=cardholder_name,
                address=address.__dict__ if address else None,
                usages=[],
                saved_cc=True,
                created_at=now,
            )
        )
        return replaced

    async def delete_saved_card(self, merchant_id: int, account_id: int) -> list[StoredMethod]:
        rows = await self.conn.execute(
            delete(pm)
            .where(
                pm.c.merchant_id == merchant_id,
                pm.c.account_id == account_id,
                pm.c.saved_cc.is_(True),
            )
            .returning(pm)
        )
        return [_method(r) for r in rows]

    async def methods(self, merchant_id: int, account_id: int) -> list[StoredMethod]:
        """The account's payment methods (not its saved credit card), oldest first."""
        rows = await self.conn.execute(
            select(pm)
            .where(
                pm.c.merchant_id == merchant_id,
                pm.c.account_id == account_id,
                pm.c.saved_cc.is_(False),
            )
            .order_by(pm.c.id)
        )
        return [_method(r) for r in rows]

    async def add_method(
        self,
        merchant_id: int,
        account_id: int,
        processor: str,
        token: str,
        card: CardDisplay | None,
        cardholder_name: str | None,
        address: BillingAddress | None,
        usages: list[str],
        now: datetime,
    ) -> StoredMethod:
        await self._take_usages(merchant_id, account_id, usages)
        expiry = (
            f"{card.exp_month:02d}/{card.exp_year}"
            if card and card.exp_month and card.exp_year
            else None
        )
        row = (
            await self.conn.execute(
                insert(pm)
                .values(
                    merchant_id=merchant_id,
                    account_id=account_id,
                    processor=processor,
                    token=token,
                    card_brand=card.brand[:16] if card else None,
                    card_last4=card.last4[-4:] if card else None,
                    card_expiry=expiry,
                    cardholder_name=cardholder_name,
                    address=address.__dict__ if address else None,
                    usages=usages,
                    saved_cc=False,
                    created_at=now,
                )
                .returning(pm)
            )
        ).one()
        return _method(row)

    async def set_usages(self, method: StoredMethod, usages: list[str]) -> StoredMethod:
        """Give the method exactly ``usages``, taking each from the method that had it."""
        await self._take_usages(method.merchant_id, method.account_id, usages)
        row = (
            await self.conn.execute(
                update(pm)
                .where(pm.c.merchant_id == method.merchant_id, pm.c.id == method.id)
                .values(usages=usages)
                .returning(pm)
            )
        ).one()
        return _method(row)

    async def delete_method(self, method: StoredMethod) -> None:
        await self.conn.execute(
            delete(pm).where(pm.c.merchant_id == method.merchant_id, pm.c.id == method.id)
        )

    async def _take_usages(self, merchant_id: int, account_id: int, usages: list[str]) -> None:
        # A usage belongs to one method of the account: the others give it up. The
        # lists are small JSON arrays, so they are rewritten rather than queried into.
        if not usages:
            return
        for method in await self.methods(merchant_id, account_id):
            kept = [u for u in method.usages if u not in usages]
            if len(kept) != len(method.usages):
                await self.conn.execute(
                    update(pm)
                    .where(pm.c.merchant_id == merchant_id, pm.c.id == method.id)
                    .values(usages=kept)
                )

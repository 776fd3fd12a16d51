"""Web store orders: recorded before their charge, found again by the call's key, and
marked fulfilled with the transaction that issued their cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.store.repositories import Repository
from openpxs.store.tables import sale_orders as so


@dataclass(frozen=True)
class SaleOrder:
    merchant_id: int
    id: int
    order_number: str
    idempotency_key: str
    program_type: str
    card_template: int
    account_id: int | None
    purchaser: dict[str, Any]
    shipping_method: str
    shipping_address: dict[str, Any] | None
    # Each line: designCode, amount, quantity, discount, price (text) and recipient.
    lines: list[dict[str, Any]]
    subtotal_units: int
    order_discount_units: int
    shipping_cost_units: int
    total_units: int
    # Reward Yourself: the points paid, in units (None for an order paid by card).
    total_points_units: int | None
    transaction_id: int | None
    cards: list[str] | None
    created_at: datetime
    fulfilled_at: datetime | None


@dataclass(frozen=True)
class NewSaleOrder:
    merchant_id: int
    order_number: str
    idempotency_key: str
    program_type: str
    card_template: int
    account_id: int | None
    purchaser: dict[str, Any]
    shipping_method: str
    shipping_address: dict[str, Any] | None
    lines: list[dict[str, Any]]
    subtotal_units: int
    order_discount_units: int
    shipping_cost_units: int
    total_units: int
    total_points_units: int | None = None


def _order(row: Row[Any]) -> SaleOrder:
    m = row._mapping
    return SaleOrder(
        merchant_id=m["merchant_id"],
        id=m["id"],
        order_number=m["order_number"],
        idempotency_key=m["idempotency_key"],
        program_type=m["program_type"],
        card_template=m["card_template"],
        account_id=m["account_id"],
        purchaser=m["purchaser"],
        shipping_method=m["shipping_method"],
        shipping_address=m["shipping_address"],
        lines=m["lines"],
        subtotal_units=m["subtotal"],
        order_discount_units=m["order_discount"],
        shipping_cost_units=m["shipping_cost"],
        total_units=m["total"],
        total_points_units=m["total_points"],
        transaction_id=m["transaction_id"],
        cards=m["cards"],
        created_at=m["created_at"],
        fulfilled_at=m["fulfilled_at"],
    )


class SaleOrderRepository(Repository):
    __slots__ = ()

    async def by_key(self, merchant_id: int, key: str) -> SaleOrder | None:
        row = (
            await self.conn.execute(
                select(so).where(so.c.merchant_id == merchant_id, so.c.idempotency_key == key)
            )
        ).one_or_none()
        return _order(row) if row is not None else None

    async def by_number(self, merchant_id: int, number: str) -> SaleOrder | None:
        row = (
            await self.conn.execute(
                select(so).where(so.c.merchant_id == merchant_id, so.c.order_number == number)
            )
        ).one_or_none()
        return _order(row) if row is not None else None

    async def record(self, new: NewSaleOrder, now: datetime) -> tuple[SaleOrder, bool]:
        """The new order and True, or the order that already holds its key and False.

        The unique key decides between two concurrent twins, not a read."""
        values = {
            "merchant_id": new.merchant_id,
            "order_number": new.order_number,
            "idempotency_key": new.idempotency_key,
            "program_type": new.program_type,
            "card_template": new.card_template,
            "account_id": new.account_id,
            "purchaser": new.purchaser,
            "shipping_method": new.shipping_method,
            "shipping_address": new.shipping_address,
            "lines": new.lines,
            "subtotal": new.subtotal_units,
            "order_discount": new.order_discount_units,
            "shipping_cost": new.shipping_cost_units,
            "total": new.total_units,
            "total_points": new.total_points_units,
            "created_at": now,
        }
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(so.insert().values(**values))
        except IntegrityError:
            earlier = await self.by_key(new.merchant_id, new.idempotency_key)
            if earlier is None:  # the order number collided, not the key
                raise
            return earlier, False
        made = await self.by_key(new.merchant_id, new.idempotency_key)
        assert made is not None
        return made, True

    async def fulfil(
        self, order: SaleOrder, transaction_id: int | None, cards: list[str], now: datetime
    ) -> None:
        """Mark the order fulfilled, once: a second mark is a bug and fails."""
        result = await self.conn.execute(
            update(so)
            .where(
                so.c.merchant_id == order.merchant_id,
                so.c.id == order.id,
                so.c.fulfilled_at.is_(None),
            )
            .values(transaction_id=transaction_id, cards=cards, fulfilled_at=now)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"sale order {order.order_number} was already fulfilled")

"""Accounts' paid subscriptions and the renewals that fall due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, insert, or_, select, update

from openpxs.domain.payments import CardDisplay
from openpxs.domain.subscriptions import SubscriptionStatus
from openpxs.store.repositories import Repository
from openpxs.store.tables import subscriptions as sub


@dataclass(frozen=True)
class Subscription:
    merchant_id: int
    id: int
    account_id: int
    card_number: str
    plan_code: str
    next_plan_code: str | None
    status: SubscriptionStatus
    enrolled_at: datetime
    period_start: datetime
    renews_at: datetime
    periods: int
    declines: int
    retry_at: datetime | None
    processor: str
    token: str
    card: CardDisplay | None
    store_code: str | None


@dataclass(frozen=True)
class PaidCard:
    """The processor's token of the card renewals charge, and what may be shown of it."""

    processor: str
    token: str
    card: CardDisplay | None


def _subscription(row: Row[Any]) -> Subscription:
    m = row._mapping
    card = None
    if m["card_brand"] or m["card_last4"]:
        month, year = None, None
        if m["card_expiry"] and "/" in m["card_expiry"]:
            mm, yyyy = m["card_expiry"].split("/", 1)
            month, year = int(mm), int(yyyy)
        card = CardDisplay(m["card_brand"] or "", m["card_last4"] or "", month, year)
    return Subscription(
        merchant_id=m["merchant_id"],
        id=m["id"],
        account_id=m["account_id"],
        card_number=m["card_number"],
        plan_code=m["plan_code"],
        next_plan_code=m["next_plan_code"],
        status=SubscriptionStatus(m["status"]),
        enrolled_at=m["enrolled_at"],
        period_start=m["period_start"],
        renews_at=m["renews_at"],
        periods=m["periods"],
        declines=m["declines"],
        retry_at=m["retry_at"],
        processor=m["processor"],
        token=m["token"],
        card=card,
        store_code=m["store_code"],
    )


def _card_columns(paid: PaidCard) -> dict[str, Any]:
    card = paid.card
    expiry = (
        f"{card.exp_month:02d}/{card.exp_year}"
        if card and card.exp_month and card.exp_year
        else None
    )
    return {
        "processor": paid.processor,
        "token": paid.token,
        "card_brand": card.brand[:16] if card else None,
        "card_last4": card.last4[:4] if card else None,
        "card_expiry": expiry,
    }


class SubscriptionRepository(Repository):
    __slots__ = ()

    async def of_account(
        self, merchant_id: int, account_id: int, *, lock: bool = False
    ) -> Subscription | None:
        query = select(sub).where(sub.c.merchant_id == merchant_id, sub.c.account_id == account_id)
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).one_or_none()
        return None if row is None else _subscription(row)

    async def get(
        self, merchant_id: int, sub_id: int, *, lock: bool = False
    ) -> Subscription | None:
        query = select(sub).where(sub.c.merchant_id == merchant_id, sub.c.id == sub_id)
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).one_or_none()
        return None if row is None else _subscription(row)

    async def start(
        self,
        merchant_id: int,
        account_id: int,
        card_number: str,
        plan_code: str,
        paid: PaidCard,
        store_code: str | None,
        enrolled_at: datetime,
        renews_at: datetime,
    ) -> None:
        """A first paid period, on a new row or on the account's ended one (the unique
        account key makes two concurrent sign-ups of one account fail, not both pass)."""
        values = {
            "card_number": card_number,
            "plan_code": plan_code,
            "next_plan_code": None,
            "status": SubscriptionStatus.ACTIVE.value,
            "enrolled_at": enrolled_at,
            "period_start": enrolled_at,
            "renews_at": renews_at,
            "periods": 1,
            "declines": 0,
            "retry_at": None,
            "store_code": store_code,
            "updated_at": enrolled_at,
            **_card_columns(paid),
        }
        changed = await self.conn.execute(
            update(sub)
            .where(
                sub.c.merchant_id == merchant_id,
                sub.c.account_id == account_id,
                sub.c.status == SubscriptionStatus.EXPIRED.value,
            )
            .values(**values)
        )
        if not changed.rowcount:
            await self.conn.execute(
                insert(sub).values(
                    merchant_id=merchant_id,
                    account_id=account_id,
                    created_at=enrolled_at,
                    **values,
                )
            )

    async def change(
        self, current: Subscription, now: datetime, *, paid: PaidCard | None = None, **values: Any
    ) -> bool:
        """Change the row if nobody else did since ``current`` was read (same status and
        paid periods); False when someone did."""
        if paid is not None:
            values.update(_card_columns(paid))
        if isinstance(values.get("status"), SubscriptionStatus):
            values["status"] = values["status"].value
        result = await self.conn.execute(
            update(sub)
            .where(
                sub.c.merchant_id == current.merchant_id,
                sub.c.id == current.id,
                sub.c.status == current.status.value,
                sub.c.periods == current.periods,
            )
            .values(updated_at=now, **values)
        )
        return bool(result.rowcount)

    async def due(self, now: datetime, limit: int = 100) -> list[Subscription]:
        """Subscriptions whose period has ended (to renew or to end) or whose retry is due."""
        rows = await self.conn.execute(
            select(sub)
            .where(
                or_(
                    and_(
                        sub.c.status.in_(
                            [SubscriptionStatus.ACTIVE.value, SubscriptionStatus.CANCELLED.value]
                        ),
                        sub.c.renews_at <= now,
                    ),
                    and_(sub.c.status == SubscriptionStatus.PAST_DUE.value, sub.c.retry_at <= now),
                )
            )
            .order_by(sub.c.renews_at, sub.c.id)
            .limit(limit)
        )
        return [_subscription(r) for r in rows]

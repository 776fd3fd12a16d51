"""Gifts of a reward from one account to another, held until claimed when need be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import gift_transfers as gt


class GiftStatus(StrEnum):
    COMPLETED = "completed"
    PENDING_CLAIM = "pending_claim"
    CLAIMED = "claimed"
    RETURNED = "returned"


@dataclass(frozen=True)
class GiftTransfer:
    merchant_id: int
    id: int
    status: GiftStatus
    wallet_code: int
    units: int
    from_account_id: int
    from_card_number: str
    to_account_id: int | None
    to_card_number: str | None
    recipient_email: str | None
    message: str | None
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class NewGift:
    merchant_id: int
    status: GiftStatus
    wallet_code: int
    units: int
    from_account_id: int
    from_card_number: str
    out_transaction_id: int
    to_account_id: int | None = None
    to_card_number: str | None = None
    in_transaction_id: int | None = None
    recipient_email: str | None = None
    recipient_first_name: str | None = None
    recipient_last_name: str | None = None
    message: str | None = None
    claim_digest: str | None = None
    expires_at: datetime | None = None


def _gift(row: Row[Any]) -> GiftTransfer:
    m = row._mapping
    return GiftTransfer(
        merchant_id=m["merchant_id"],
        id=m["id"],
        status=GiftStatus(m["status"]),
        wallet_code=m["wallet_code"],
        units=m["units"],
        from_account_id=m["from_account_id"],
        from_card_number=m["from_card_number"],
        to_account_id=m["to_account_id"],
        to_card_number=m["to_card_number"],
        recipient_email=m["recipient_email"],
        message=m["message"],
        expires_at=m["expires_at"],
        created_at=m["created_at"],
    )


class GiftTransferRepository(Repository):
    __slots__ = ()

    async def add(self, gift: NewGift, now: datetime) -> GiftTransfer:
        values = {**vars(gift), "status": gift.status.value, "created_at": now, "updated_at": now}
        new_id = (
            await self.conn.execute(insert(gt).values(**values).returning(gt.c.id))
        ).scalar_one()
        found = await self.get(gift.merchant_id, int(new_id))
        assert found is not None
        return found

    async def get(
        self, merchant_id: int, gift_id: int, *, lock: bool = False
    ) -> GiftTransfer | None:
        query = select(gt).where(gt.c.merchant_id == merchant_id, gt.c.id == gift_id)
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).one_or_none()
        return None if row is None else _gift(row)

    async def by_claim_digest(
        self, merchant_id: int, digest: str, *, lock: bool = False
    ) -> GiftTransfer | None:
        query = select(gt).where(gt.c.merchant_id == merchant_id, gt.c.claim_digest == digest)
        if lock:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).one_or_none()
        return None if row is None else _gift(row)

    async def settle(
        self,
        gift: GiftTransfer,
        status: GiftStatus,
        now: datetime,
        *,
        to_account_id: int | None = None,
        to_card_number: str | None = None,
        in_transaction_id: int | None = None,
        return_transaction_id: int | None = None,
    ) -> bool:
        """Move a held gift on (claimed or returned), only while it is still held: the
        one that changes the row wins; False for anyone who came second."""
        values: dict[str, Any] = {"status": status.value, "updated_at": now}
        if to_account_id is not None:
            values.update(to_account_id=to_account_id, to_card_number=to_card_number)
        if in_transaction_id is not None:
            values["in_transaction_id"] = in_transaction_id
        if return_transaction_id is not None:
            values["return_transaction_id"] = return_transaction_id
        result = await self.conn.execute(
            update(gt)
            .where(
                gt.c.merchant_id == gift.merchant_id,
                gt.c.id == gift.id,
                gt.c.status == GiftStatus.PENDING_CLAIM.value,
            )
            .values(**values)
        )
        return bool(result.rowcount)

    async def lapsed(self, now: datetime, limit: int = 100) -> list[GiftTransfer]:
        """Held gifts whose claim time has passed, oldest first."""
        rows = await self.conn.execute(
            select(gt)
            .where(gt.c.status == GiftStatus.PENDING_CLAIM.value, gt.c.expires_at <= now)
            .order_by(gt.c.expires_at, gt.c.id)
            .limit(limit)
        )
        return [_gift(r) for r in rows]

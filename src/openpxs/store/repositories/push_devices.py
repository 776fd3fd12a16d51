"""Phones registered for a guest's pushes (pushmessaging), and the numbers that stopped
SMS (upland)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import push_devices, sms_subscriptions


@dataclass(frozen=True)
class PushDevice:
    id: int
    account_id: int
    platform: str
    external_identifier: str
    token: str


def _device(row: Any) -> PushDevice:
    return PushDevice(
        id=row.id,
        account_id=row.account_id,
        platform=row.platform,
        external_identifier=row.external_identifier,
        token=row.token,
    )


class PushDeviceRepository(Repository):
    __slots__ = ()

    async def by_token(self, merchant_id: int, token: str) -> PushDevice | None:
        row = (
            await self.conn.execute(
                select(push_devices).where(
                    push_devices.c.merchant_id == merchant_id, push_devices.c.token == token
                )
            )
        ).first()
        return _device(row) if row is not None else None

    async def of_account(self, merchant_id: int, account_id: int) -> list[PushDevice]:
        """The account's devices, oldest registration first."""
        rows = await self.conn.execute(
            select(push_devices)
            .where(
                push_devices.c.merchant_id == merchant_id, push_devices.c.account_id == account_id
            )
            .order_by(push_devices.c.registered_at, push_devices.c.id)
        )
        return [_device(row) for row in rows]

    async def add(
        self,
        merchant_id: int,
        account_id: int,
        *,
        platform: str,
        external_identifier: str,
        token: str,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            insert(push_devices).values(
                merchant_id=merchant_id,
                account_id=account_id,
                platform=platform,
                external_identifier=external_identifier,
                token=token,
                registered_at=now,
            )
        )

    async def move(
        self, device_id: int, *, account_id: int, external_identifier: str, now: datetime
    ) -> None:
        """The token now belongs to ``account_id`` (another guest signed in on the phone)."""
        await self.conn.execute(
            update(push_devices)
            .where(push_devices.c.id == device_id)
            .values(
                account_id=account_id, external_identifier=external_identifier, registered_at=now
            )
        )

    async def remove(self, device_id: int) -> None:
        await self.conn.execute(delete(push_devices).where(push_devices.c.id == device_id))

    async def remove_token(self, merchant_id: int, platform: str, token: str) -> int:
        """Forget a token the push service no longer knows; returns how many rows went."""
        result = await self.conn.execute(
            delete(push_devices).where(
                push_devices.c.merchant_id == merchant_id,
                push_devices.c.platform == platform,
                push_devices.c.token == token,
            )
        )
        return int(result.rowcount)

    async def sms_stopped(self, merchant_id: int, digits: str) -> bool:
        """Whether the number texted STOP (or was opted out) and has not opted in since."""
        stopped = (
            await self.conn.execute(
                select(sms_subscriptions.c.stopped).where(
                    sms_subscriptions.c.merchant_id == merchant_id,
                    sms_subscriptions.c.phone_digits == digits,
                )
            )
        ).scalar()
        return bool(stopped)

    async def set_sms_stopped(
        self, merchant_id: int, digits: str, *, stopped: bool, now: datetime
    ) -> None:
        where = (
            sms_subscriptions.c.merchant_id == merchant_id,
            sms_subscriptions.c.phone_digits == digits,
        )
        result = await self.conn.execute(
            update(sms_subscriptions).where(*where).values(stopped=stopped, changed_at=now)
        )
        if not result.rowcount:
            await self.conn.execute(
                insert(sms_subscriptions).values(
                    merchant_id=merchant_id, phone_digits=digits, stopped=stopped, changed_at=now
                )
            )

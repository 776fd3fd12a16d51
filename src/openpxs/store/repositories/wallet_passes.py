"""Wallet passes of cards, the devices registered for Apple pass updates, and the sweep
that finds the passes whose account's balances changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ScalarSelect

from openpxs.store.repositories import Repository
from openpxs.store.tables import journal, wallet_pass_devices, wallet_passes

PassKind = Literal["apple", "google"]


@dataclass(frozen=True)
class WalletPass:
    id: int
    merchant_id: int
    kind: str
    serial_number: str
    card_number: str
    account_id: int
    auth_token: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ChangedPass:
    """A pass whose account has journal rows newer than the pass last saw."""

    wallet_pass: WalletPass
    seen_journal_id: int | None
    latest_journal_id: int


_COLUMNS = (
    wallet_passes.c.id,
    wallet_passes.c.merchant_id,
    wallet_passes.c.kind,
    wallet_passes.c.serial_number,
    wallet_passes.c.card_number,
    wallet_passes.c.account_id,
    wallet_passes.c.auth_token,
    wallet_passes.c.updated_at,
)


def _pass(row: object) -> WalletPass:
    return WalletPass(*(getattr(row, c.name) for c in _COLUMNS))


def _latest_journal(merchant_id: Any, account_id: Any) -> ScalarSelect[Any]:
    return (
        select(func.max(journal.c.id))
        .where(journal.c.merchant_id == merchant_id, journal.c.account_id == account_id)
        .scalar_subquery()
    )


class WalletPassRepository(Repository):
    __slots__ = ()

    async def of_card(
        self, merchant_id: int, kind: PassKind, card_number: str
    ) -> WalletPass | None:
        row = (
            await self.conn.execute(
                select(*_COLUMNS).where(
                    wallet_passes.c.merchant_id == merchant_id,
                    wallet_passes.c.kind == kind,
                    wallet_passes.c.card_number == card_number,
                )
            )
        ).first()
        return _pass(row) if row is not None else None

    async def by_serial(self, kind: PassKind, serial_number: str) -> WalletPass | None:
        row = (
            await self.conn.execute(
                select(*_COLUMNS).where(
                    wallet_passes.c.kind == kind, wallet_passes.c.serial_number == serial_number
                )
            )
        ).first()
        return _pass(row) if row is not None else None

    async def create(
        self,
        *,
        merchant_id: int,
        kind: PassKind,
        serial_number: str,
        card_number: str,
        account_id: int,
        auth_token: str | None,
        now: datetime,
    ) -> WalletPass:
        """The card's pass, made now; or the one a concurrent call made first."""
        latest = (
            await self.conn.execute(select(_latest_journal(merchant_id, account_id)))
        ).scalar()
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(wallet_passes).values(
                        merchant_id=merchant_id,
                        kind=kind,
                        serial_number=serial_number,
                        card_number=card_number,
                        account_id=account_id,
                        auth_token=auth_token,
                        created_at=now,
                        updated_at=now,
                        seen_journal_id=latest,
                    )
                )
        except IntegrityError:
            pass
        made = await self.of_card(merchant_id, kind, card_number)
        assert made is not None
        return made

    async def register_device(
        self, wallet_pass: WalletPass, device_library_id: str, push_token: str, now: datetime
    ) -> bool:
        """Register the device for the pass's updates; False when it already was (its
        push token is then brought up to date)."""
        where = and_(
            wallet_pass_devices.c.pass_id == wallet_pass.id,
            wallet_pass_devices.c.device_library_id == device_library_id,
        )
        changed = await self.conn.execute(
            update(wallet_pass_devices).where(where).values(push_token=push_token)
        )
        if changed.rowcount:
            return False
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(wallet_pass_devices).values(
                        merchant_id=wallet_pass.merchant_id,
                        pass_id=wallet_pass.id,
                        device_library_id=device_library_id,
                        push_token=push_token,
                        registered_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def unregister_device(self, wallet_pass: WalletPass, device_library_id: str) -> bool:
        gone = await self.conn.execute(
            delete(wallet_pass_devices).where(
                wallet_pass_devices.c.pass_id == wallet_pass.id,
                wallet_pass_devices.c.device_library_id == device_library_id,
            )
        )
        return bool(gone.rowcount)

    async def registered_passes(self, device_library_id: str) -> list[WalletPass]:
        """The Apple passes the device registered for."""
        rows = await self.conn.execute(
            select(*_COLUMNS)
            .select_from(
                wallet_passes.join(
                    wallet_pass_devices, wallet_pass_devices.c.pass_id == wallet_passes.c.id
                )
            )
            .where(
                wallet_pass_devices.c.device_library_id == device_library_id,
                wallet_passes.c.kind == "apple",
            )
            .order_by(wallet_passes.c.id)
        )
        return [_pass(r) for r in rows]

    async def push_tokens(self, pass_id: int) -> list[str]:
        rows = await self.conn.execute(
            select(wallet_pass_devices.c.push_token)
            .where(wallet_pass_devices.c.pass_id == pass_id)
            .order_by(wallet_pass_devices.c.id)
        )
        return [str(t) for t in rows.scalars()]

    async def changed(self, limit: int) -> list[ChangedPass]:
        """Passes whose account has a journal row newer than the pass last saw."""
        latest = _latest_journal(wallet_passes.c.merchant_id, wallet_passes.c.account_id)
        seen = wallet_passes.c.seen_journal_id
        query = (
            select(*_COLUMNS, seen, latest.label("latest"))
            .where(latest > func.coalesce(seen, 0))
            .order_by(wallet_passes.c.id)
            .limit(limit)
        )
        rows = await self.conn.execute(query)
        return [ChangedPass(_pass(r), r.seen_journal_id, r.latest) for r in rows]

    async def mark_seen(self, changed: ChangedPass, now: datetime) -> bool:
        """Record that the pass is up to date with its account's latest journal row;
        False when another process did first (it then sends the updates)."""
        previous = changed.seen_journal_id
        seen = wallet_passes.c.seen_journal_id
        done = await self.conn.execute(
            update(wallet_passes)
            .where(
                wallet_passes.c.id == changed.wallet_pass.id,
                seen.is_(None) if previous is None else seen == previous,
            )
            .values(seen_journal_id=changed.latest_journal_id, updated_at=now)
        )
        return bool(done.rowcount)

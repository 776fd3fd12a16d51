"""Where, when and by whom a ledger transaction happened."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class CallStamp:
    """The store, terminal, operator and POS ids a transaction record carries (from
    headerInfo, or the check's store and number), and the instant it happened."""

    merchant_id: int
    store_code: str | None
    terminal_id: str | None
    operator_id: str | None
    pos_transaction_id: str | None
    pos_datetime: str | None
    integration_id: int | None
    now: datetime

    def by_the_server(self) -> CallStamp:
        """The same instant with no store or POS ids: work the server does itself
        (writing off lapsed value) is not the POS call's doing."""
        return replace(
            self,
            store_code=None,
            terminal_id=None,
            operator_id=None,
            pos_transaction_id=None,
            pos_datetime=None,
            integration_id=None,
        )


def online(
    merchant_id: int, integration_id: int | None, now: datetime, store_code: str | None = None
) -> CallStamp:
    """The stamp of a call from an app or website: no terminal or POS ids, and a store
    only where the guest named one (the store they enrolled at)."""
    return CallStamp(merchant_id, store_code, None, None, None, None, integration_id, now)

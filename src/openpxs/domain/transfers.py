"""Moving value from one account's book to another's, with no I/O.

Balance transfers move whole wallets; gift transfers move a quantity of one wallet.
Either way each spendable lot that gives value re-appears in the receiving wallet with
the same expiry, so moved value lapses when it would have where it was.
"""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.ledger import AccountBook, ShortOfValue, WalletLedger


def move_units(source: WalletLedger, target: WalletLedger, units: int, now: datetime) -> None:
    """Take ``units`` of spendable value out of ``source`` (soonest expiry first) and
    credit it to ``target`` lot by lot, keeping each lot's expiry. Refused as a whole
    (``ShortOfValue``) when ``source`` cannot spend that much."""
    available = source.spendable_units(now)
    if units > available:
        # Even where the wallet may go negative: a transfer gives only value it holds.
        raise ShortOfValue(available, units)
    for lot in list(source.spending_order(now)):
        if units == 0:
            break
        take = min(lot.remaining, units)
        source.debit(take, now, prefer=lot)
        target.credit(take, expires_at=lot.expires_at, expires_on=lot.expires_on)
        units -= take


def movable_wallets(book: AccountBook, now: datetime) -> dict[int, int]:
    """wallet code -> spendable units of every wallet with value to give.

    Only spendable value moves: a deficit (a wallet allowed below zero) stays with the
    account that ran it up rather than becoming the receiver's debt.
    """
    found = {code: ledger.spendable_units(now) for code, ledger in book.ledgers.items()}
    return {code: units for code, units in sorted(found.items()) if units > 0}

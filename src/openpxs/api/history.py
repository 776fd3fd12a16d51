"""The transaction-history reply, shared by the Transaction and Guest services."""

from __future__ import annotations

from openpxs.api.transaction import models as m
from openpxs.domain.program import Program
from openpxs.services.history import HistoryEntry


def history_reply(
    program: Program, entries: list[HistoryEntry], result: str
) -> m.TransactionHistoryReply:
    """Entries newest first, each with per-wallet amounts, and the wallets they touch."""
    used = sorted({d.wallet.code for e in entries for d in e.details})
    return m.TransactionHistoryReply(
        result=result,
        transactions=[
            m.TransactionHistoryEntry(
                transactionIdLong=e.id,
                transactionId=e.id,
                datetime=e.at.isoformat(),
                transactionType=e.kind,
                storeCode=e.store_code,
                storeName=e.store_name,
                posTransactionNumber=e.pos_transaction_id,
                cardNumber=e.card_number,
                hasVisibleComment=e.has_comment,
                details=[
                    m.TransactionHistoryDetail(
                        walletCode=d.wallet.code,
                        walletName=d.wallet.name,
                        accrued=d.accrued,
                        redeemed=d.redeemed,
                        balance=d.balance,
                    )
                    for d in e.details
                ],
            )
            for e in entries
        ],
        walletInfo=[
            m.WalletInfo(walletCode=w.code, name=w.name, scale=w.scale)
            for w in (program.wallets[c] for c in used)
        ],
    )

"""Turning wire objects into use-case inputs, and outcomes into replies."""

from __future__ import annotations

from typing import TypeVar

from openpxs.api.transaction import models as m
from openpxs.domain.cards import CardRef, mask
from openpxs.domain.moves import AppliedMove, Move
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services.balances import Outcome
from openpxs.services.history import HistoryEntry
from openpxs.wire.context import CallContext

Reply = TypeVar("Reply", bound=m.TransactionReply)


def stamp_of(ctx: CallContext, header: m.HeaderInfo) -> CallStamp:
    """The call's store, terminal, operator and POS ids; the store must be the merchant's."""
    ctx.program.store(header.storeCode)
    return CallStamp(
        merchant_id=ctx.merchant_id,
        store_code=header.storeCode,
        terminal_id=header.terminalId,
        operator_id=header.operatorId,
        pos_transaction_id=header.posTransactionId,
        pos_datetime=header.posTransactionDatetime,
        integration_id=ctx.integration.id,
        now=ctx.now,
    )


def card_ref(info: m.CardInfo) -> CardRef:
    return CardRef(
        number=info.printedCardNumber,
        registration_code=info.cardRegCode or None,
        template_code=info.cardTemplateCode,
        magstripe=info.magstripe,
    )


def moves(contents: list[m.WalletContent]) -> list[Move]:
    return [
        Move(c.walletCode, c.quantity, c.expiration.date if c.expiration else None)
        for c in contents
    ]


def applied_out(applied: list[AppliedMove]) -> list[m.WalletContentOut]:
    return [
        m.WalletContentOut(
            walletCode=a.wallet.code,
            quantity=a.at_scale(),
            expiration=m.Expiration(date=a.expires_on) if a.expires_on else None,
        )
        for a in applied
    ]


def transaction_reply(cls: type[Reply], outcome: Outcome) -> Reply:
    reply = cls(pxTransactionId=outcome.transaction_id)
    view = outcome.view
    if view is not None:
        reply.printedCardNumber = view.card_number
        reply.maskedCardNumber = mask(view.card_number)
        reply.svCurrentBalance = view.sv_balance
        reply.walletBalances = [
            m.WalletBalance(
                walletCode=w.code,
                name=w.name,
                balance=balance,
                description=w.description,
                giftable=w.giftable,
            )
            for w, balance in view.balances
        ]
    return reply


def add_redeem_reply(outcome: Outcome) -> m.AddRedeemReply:
    reply = transaction_reply(m.AddRedeemReply, outcome)
    reply.addWalletContents = applied_out(outcome.added)
    reply.redeemWalletContents = applied_out(outcome.redeemed)
    return reply


def history_reply(
    program: Program, entries: list[HistoryEntry], result: str
) -> m.TransactionHistoryReply:
    """A card's history (the Transaction and Guest services answer alike): entries newest
    first, each with per-wallet amounts, and the wallets they touch."""
    used = sorted({d.wallet.code for e in entries for d in e.details})
    return m.TransactionHistoryReply(
        result=result,
        transactions=[
            m.TransactionHistoryEntry(
                transactionIdLong=e.transaction.id,
                transactionId=e.transaction.id,
                datetime=e.transaction.at.isoformat(),
                transactionType=e.transaction.kind,
                storeCode=e.transaction.store_code,
                storeName=e.transaction.store_name,
                posTransactionNumber=e.transaction.pos_transaction_id,
                cardNumber=e.transaction.card_number,
                hasVisibleComment=e.transaction.has_comment,
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

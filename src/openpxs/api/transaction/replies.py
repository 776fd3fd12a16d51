"""Turning wire objects into service inputs, and outcomes into replies."""

from __future__ import annotations

from typing import TypeVar

from openpxs.api.transaction import models as m
from openpxs.domain.program import Program
from openpxs.services.accounts import AppliedMove, CardRef, Move, Outcome
from openpxs.store.catalog import load_program
from openpxs.store.records import Where
from openpxs.wire.context import CallContext

Reply = TypeVar("Reply", bound=m.TransactionReply)


async def where_of(ctx: CallContext, header: m.HeaderInfo) -> tuple[Program, Where]:
    """The merchant's program and the call's store/terminal/operator stamp."""
    program = await load_program(ctx.conn, ctx.merchant_id)
    program.store(header.storeCode)
    return program, Where(
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
            quantity=a.quantity.quantize(a.quantity.__class__(1).scaleb(-a.wallet.scale)),
            expiration=m.Expiration(date=a.expires_on) if a.expires_on else None,
        )
        for a in applied
    ]


def mask(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]


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

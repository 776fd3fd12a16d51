"""Retry keys of the Transaction Service's value-moving calls.

A POS retries with the same posTransactionId; the key says which earlier call a
retry repeats: the operation at one store, terminal and card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from openpxs.api.transaction import models as m
from openpxs.wire.context import CallContext


def pos_key(req: m.CardRequest | m.TransactionRequest, operation: str, card: str) -> str | None:
    """posTransactionId at one store, terminal and card, per operation."""
    h = req.headerInfo
    if not h.posTransactionId:
        return None
    return f"{operation}:{h.storeCode}:{h.terminalId or ''}:{card}:{h.posTransactionId}"


def void_claim(
    ctx: CallContext, req: m.CardRequest, operation: str
) -> Callable[[int], Awaitable[None]]:
    """The retry key of a void names the transaction it voids (see undo.void_matching)."""
    h = req.headerInfo

    async def claim(target_id: int) -> None:
        await ctx.retry.claim(f"pos:{operation}:{h.storeCode}:{h.terminalId or ''}:{target_id}")

    return claim


def card_key(operation: str) -> Callable[[m.CardRequest], str | None]:
    def key(req: m.CardRequest) -> str | None:
        return pos_key(
            req, operation, req.cardInfo.printedCardNumber or req.cardInfo.magstripe or ""
        )

    return key

"""Retry keys of the Transaction Service's value-moving calls.

A POS retries with the same posTransactionId; the key says which earlier call a
retry repeats: the operation at one store, terminal and card.
"""

from __future__ import annotations

from collections.abc import Callable

from openpxs.api.transaction import models as m


def pos_key(req: m.CardRequest | m.TransactionRequest, operation: str, card: str) -> str | None:
    """posTransactionId at one store, terminal and card, per operation."""
    h = req.headerInfo
    if not h.posTransactionId:
        return None
    return f"{operation}:{h.storeCode}:{h.terminalId or ''}:{card}:{h.posTransactionId}"


def void_key(req: m.CardRequest, operation: str) -> str:
    """The retry key of a void, less the id of the transaction it voids (the use case
    appends it once it has found the target; see services.undo.void_matching)."""
    h = req.headerInfo
    return f"pos:{operation}:{h.storeCode}:{h.terminalId or ''}"


def card_key(operation: str) -> Callable[[m.CardRequest], str | None]:
    def key(req: m.CardRequest) -> str | None:
        return pos_key(
            req, operation, req.cardInfo.printedCardNumber or req.cardInfo.magstripe or ""
        )

    return key

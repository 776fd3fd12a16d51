"""Balance Transfer Service (balancetransfer.yaml): merge one card's balances into
another card's account."""

from __future__ import annotations

from openpxs.api.balancetransfer import models as m
from openpxs.api.balancetransfer.errors import BALANCE_TRANSFER, STYLES
from openpxs.domain.errors import Reason as R
from openpxs.services.balance_transfers import transfer_balances as transfer
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    BALANCE_TRANSFER,
    "transferBalances",
    request=m.TransferBalancesRequest,
    reply=m.TransferBalancesReply,
    styles=STYLES,
    summary="Move every balance of one card onto another card",
    moves_value=True,
    errors=(
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.SOURCE_CARD_NOT_FOUND,
        R.SOURCE_CARD_NOT_ACTIVE,
        R.SAME_CARD,
        R.INVALID_REGISTRATION_CODE,
        R.TOO_MANY_ATTEMPTS,
        R.INCOMPATIBLE_WALLETS,
        R.NOTHING_TO_TRANSFER,
    ),
    scope="account_write",
)
async def transfer_balances(
    ctx: CallContext, req: m.TransferBalancesRequest
) -> m.TransferBalancesReply:
    """Moves the spendable value of every wallet of fromPrintedCardNumber's account onto
    the same wallet of printedCardNumber's account (an oauth guest must own the
    receiving card), keeping expiry dates, as one atomic pair of transactions
    (balanceTransferOut, balanceTransferIn). The source card must be active, in the
    merchant, on another account; fromRegCode, when sent, must be its registration code.
    Wallets the receiving card's programs cannot hold stay behind, unless
    mustTransferAllWalletBalances (or the older mustTransferAllWallets) is true, which
    then refuses the whole transfer. The source account stays open, empty. Send an
    Idempotency-Key header to make a retry answer the first reply."""
    await transfer(
        ctx,
        req.printedCardNumber,
        req.fromPrintedCardNumber,
        req.fromRegCode,
        req.must_transfer_all,
    )
    return m.TransferBalancesReply()

"""Gift Transfer Service (gifttransfer.yaml): give a reward to another guest, claim a
held gift, and which rewards may be given."""

from __future__ import annotations

from openpxs.api.gifttransfer import models as m
from openpxs.api.gifttransfer.errors import B2B, GIFT_TRANSFER
from openpxs.domain.errors import Reason as R
from openpxs.domain.program import Program
from openpxs.services import gift_transfers as gifts
from openpxs.store.repositories.gift_transfers import GiftStatus
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# The wire names the states as the inferred TransferInfo does; a gift sent back to its
# giver is EXPIRED there.
STATUSES = {
    GiftStatus.COMPLETED: "COMPLETED",
    GiftStatus.PENDING_CLAIM: "PENDING_CLAIM",
    GiftStatus.CLAIMED: "CLAIMED",
    GiftStatus.RETURNED: "EXPIRED",
}


def transfer_info(program: Program, gift: gifts.Gift) -> m.TransferInfo:
    t = gift.transfer
    return m.TransferInfo(
        transferId=t.id,
        status=STATUSES[t.status],
        walletCode=t.wallet_code,
        quantity=gift.quantity,
        fromPrintedCardNumber=t.from_card_number,
        toPrintedCardNumber=t.to_card_number,
        claimCode=gift.claim_code,
        expirationDate=program.today(t.expires_at) if t.expires_at else None,
        transferMessage=t.message,
    )


@endpoint(
    GIFT_TRANSFER,
    "giftingConfig",
    method="GET",
    request=m.GiftingConfigRequest,
    reply=m.GiftingConfigReply,
    styles=B2B,
    summary="The rewards a guest with this card template may give",
    errors=(R.INVALID_CARD_TEMPLATE,),
)
async def gifting_config(ctx: CallContext, req: m.GiftingConfigRequest) -> m.GiftingConfigReply:
    """Every reward (wallet) the merchant lets a guest holding a card of
    cardTemplateCode give, with the quantity one gift moves. Read-only."""
    rewards = gifts.giftable_rewards(ctx.program, req.cardTemplateCode)
    return m.GiftingConfigReply(
        rewards=[
            m.GiftableReward(
                walletCode=g.wallet.code,
                name=g.wallet.name,
                quantity=g.quantity.quantize(type(g.quantity)(1).scaleb(-g.wallet.scale)),
            )
            for g in rewards
        ]
    )


@endpoint(
    GIFT_TRANSFER,
    "transferOut",
    request=m.TransferOutRequest,
    reply=m.TransferOutReply,
    styles=B2B,
    summary="Give a reward to another card or to a person by e-mail",
    moves_value=True,
    errors=(
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.INVALID_WALLET_CODE,
        R.WALLET_NOT_GIFTABLE,
        R.INSUFFICIENT_BALANCE,
        R.INVALID_RECIPIENT,
        R.SAME_ACCOUNT,
        R.MESSAGE_TOO_LONG,
    ),
)
async def transfer_out(ctx: CallContext, req: m.TransferOutRequest) -> m.TransferOutReply:
    """Takes the configured quantity of walletCode (a giftable reward of the card's
    template) from fromPrintedCardNumber. With to.printedCardNumber, or to.email of a
    guest who has an account, the reward lands on that account at once (COMPLETED).
    Otherwise it is held (PENDING_CLAIM) with a claimCode, which the reply and an
    e-mail to the recipient carry; it goes back to the giver if nobody claims it by
    expirationDate. Both sides are journaled; on any refusal nothing moves."""
    to = req.to
    gift = await gifts.transfer_out(
        ctx,
        req.fromPrintedCardNumber,
        gifts.Recipient(to.printedCardNumber, to.email, to.phone, to.firstName, to.lastName)
        if to is not None
        else None,
        req.walletCode,
        req.transferMessage,
    )
    return m.TransferOutReply(transferInfo=transfer_info(ctx.program, gift))


@endpoint(
    GIFT_TRANSFER,
    "transferIn",
    request=m.ClaimRequest,
    reply=m.TransferOutReply,
    styles=B2B,
    summary="Claim a held gift onto a card",
    moves_value=True,
    errors=(
        R.INVALID_CLAIM_CODE,
        R.TRANSFER_ALREADY_CLAIMED,
        R.TRANSFER_EXPIRED,
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.SAME_ACCOUNT,
    ),
)
async def transfer_in(ctx: CallContext, req: m.ClaimRequest) -> m.TransferOutReply:
    """Credits the gift held under claimCode to printedCardNumber's account (not the
    giver's) and marks it CLAIMED. A gift is claimed once; past its expirationDate, or
    once sent back to the giver, it is expired."""
    gift = await gifts.claim(ctx, req.claimCode, req.printedCardNumber)
    return m.TransferOutReply(transferInfo=transfer_info(ctx.program, gift))

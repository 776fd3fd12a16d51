"""Apple Passbook Service (applepassbook.yaml): the download link of a card's pass."""

from __future__ import annotations

from openpxs.api.applepassbook import models as m
from openpxs.api.applepassbook.errors import APPLEPASSBOOK, STYLES
from openpxs.domain.errors import Reason
from openpxs.services import wallet_passes
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    APPLEPASSBOOK,
    "passbookUrl",
    method="GET",
    request=m.PassbookUrlRequest,
    reply=m.PassbookUrlReply,
    styles=STYLES,
    summary="Download link of a card's Apple Wallet pass",
    errors=(Reason.CARD_NOT_FOUND,),
)
async def passbook_url(ctx: CallContext, req: m.PassbookUrlRequest) -> m.PassbookUrlReply:
    """The link from which the card's signed .pkpass is downloaded (printedCardNumber,
    or accountId's primary card: its lowest-numbered active card). The pass's serial
    number and authentication token are made on first use and kept; the link carries
    both, does not expire, and always serves the account's balances at download time.
    With oauth the card must be the signed-in guest's."""
    url = await wallet_passes.passbook_url(ctx, req.printedCardNumber, req.accountId)
    return m.PassbookUrlReply(url=url)

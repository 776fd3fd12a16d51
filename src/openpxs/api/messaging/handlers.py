"""REST Message Service (messaging.yaml): a marketing e-mail to one guest, named by
printed card number, account id or e-mail address. The rules are in
services.marketing."""

from __future__ import annotations

from openpxs.api.messaging import models as m
from openpxs.api.messaging.errors import MESSAGING, SEND
from openpxs.domain.errors import Reason as R
from openpxs.services import marketing
from openpxs.services.marketing import Recipient
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

STYLES = ("b2b",)


@endpoint(
    MESSAGING,
    "sendMarketingMessageByPrintedCardNumber",
    request=m.SendByCardRequest,
    reply=m.ResultReply,
    styles=STYLES,
    summary="Send a marketing e-mail to the guest of a card",
    errors=(R.CARD_NOT_FOUND, *SEND),
)
async def send_by_card(ctx: CallContext, req: m.SendByCardRequest) -> m.ResultReply:
    """The template is rendered for the registered guest of the card's account, its
    external fields filled from replacementParams, and queued as an e-mail (HTML and
    text parts) to the guest's address, or with deliveryMethod PUSH as a push to every
    phone registered on the account; it also goes in the guest's inbox. The reply
    comes once the message is queued: the outbox sends it after commit."""
    to = Recipient(card=req.printedCardNumber or "")
    await marketing.send(ctx, to, req.campaignMessageTemplateCode, req.params(), req.deliveryMethod)
    return m.ResultReply()


@endpoint(
    MESSAGING,
    "sendMarketingMessageByAccountId",
    request=m.SendByAccountRequest,
    reply=m.ResultReply,
    styles=STYLES,
    summary="Send a marketing e-mail to the guest of an account",
    errors=(R.ACCOUNT_NOT_FOUND, *SEND),
)
async def send_by_account(ctx: CallContext, req: m.SendByAccountRequest) -> m.ResultReply:
    """As the card variant, for the account with this id."""
    to = Recipient(account_id=req.accountId)
    await marketing.send(ctx, to, req.campaignMessageTemplateCode, req.params(), req.deliveryMethod)
    return m.ResultReply()


@endpoint(
    MESSAGING,
    "sendMarketingMessageByEmail",
    request=m.SendByEmailRequest,
    reply=m.ResultReply,
    styles=STYLES,
    summary="Send a marketing e-mail to the guest with an e-mail address",
    errors=(R.USER_NOT_FOUND, *SEND),
)
async def send_by_email(ctx: CallContext, req: m.SendByEmailRequest) -> m.ResultReply:
    """As the card variant, for the guest whose user record has this e-mail address
    (the earliest registered one when several share it)."""
    to = Recipient(email=req.email or "")
    await marketing.send(ctx, to, req.campaignMessageTemplateCode, req.params(), req.deliveryMethod)
    return m.ResultReply()

"""Message Service (message.yaml): the guest inbox, by username or printed card number,
and deleting one message. The rules are in services.inbox."""

from __future__ import annotations

from openpxs.api.message import models as m
from openpxs.api.message.errors import MESSAGE
from openpxs.domain.errors import Reason as R
from openpxs.services import inbox
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

BY_USERNAME = (R.USER_NOT_FOUND,)
BY_CARD = (R.CARD_NOT_FOUND,)


@endpoint(
    MESSAGE,
    "myMessages",
    method="GET",
    request=m.MyMessagesRequest,
    reply=m.MessagesReply,
    styles=("b2b", "guest", "oauth"),
    summary="The guest's inbox, newest first",
    errors=BY_USERNAME,
    scope="account_read",
)
async def my_messages(ctx: CallContext, req: m.MyMessagesRequest) -> m.MessagesReply:
    """Every message of the user's account that is neither deleted nor expired, newest
    first. b2b names the username; a signed-in guest reads their own (a username, if
    sent, must be theirs). Dates are in the merchant's time zone."""
    found = await inbox.messages_of_user(ctx, req.username)
    return m.MessagesReply(messages=[m.Message.of(x, ctx.program.timezone) for x in found])


@endpoint(
    MESSAGE,
    "myMessagesByPrintedCardNumber",
    method="GET",
    request=m.MessagesByCardRequest,
    reply=m.MessagesReply,
    styles=("b2b", "oauth"),
    summary="The inbox of a card's account, newest first",
    errors=BY_CARD,
    scope="account_read",
)
async def messages_by_card(ctx: CallContext, req: m.MessagesByCardRequest) -> m.MessagesReply:
    """As myMessages, for the account of the card (any card of the account)."""
    found = await inbox.messages_of_card(ctx, req.printedCardNumber)
    return m.MessagesReply(messages=[m.Message.of(x, ctx.program.timezone) for x in found])


@endpoint(
    MESSAGE,
    "deleteMessage",
    method="DELETE",
    request=m.DeleteMessageRequest,
    reply=m.ResultReply,
    styles=("b2b", "guest", "oauth"),
    summary="Delete one message of the guest's inbox",
    errors=(*BY_USERNAME, *BY_CARD, R.MESSAGE_NOT_FOUND),
    scope="account_write",
)
async def delete_message(ctx: CallContext, req: m.DeleteMessageRequest) -> m.ResultReply:
    """The account is named by username (a signed-in guest: their own) or, without a
    username, by printedCardNumber. A messageId of another account, an unknown one or
    one already deleted is message.message_not_found, and nothing changes."""
    await inbox.delete(ctx, req.username, req.printedCardNumber, req.messageId)
    return m.ResultReply()

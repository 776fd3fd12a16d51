"""CSR Service (csr.yaml): comments customer service representatives attach to an
account, by printed card number. The rules are in services.account_comments."""

from __future__ import annotations

from openpxs.api.csr import models as m
from openpxs.api.csr.errors import CSR
from openpxs.domain.errors import Reason as R
from openpxs.services import account_comments
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    CSR,
    "addAccountComment",
    request=m.AddCommentRequest,
    reply=m.AddCommentReply,
    styles=("b2b",),
    summary="Attach a comment to the account of a card",
    errors=(R.CARD_NOT_FOUND, R.COMMENT_TOO_LONG, R.INVALID_COMMENT),
)
async def add_account_comment(ctx: CallContext, req: m.AddCommentRequest) -> m.AddCommentReply:
    """The comment is stored on the card's account, stamped with the server's time and
    the author sent, and echoed back (result addSuccess). Its text is trimmed; empty
    text or a missing author is csr.invalid_comment, 500 characters or more (or an
    author over 100) csr.comment_too_long: nothing is truncated."""
    text = req.comment.comment if req.comment else None
    author = req.comment.author if req.comment else None
    stored = await account_comments.add(ctx, req.printedCardNumber, text, author)
    return m.AddCommentReply(comment=m.added(stored, ctx.program.timezone))


@endpoint(
    CSR,
    "accountComments",
    method="GET",
    request=m.CommentsRequest,
    reply=m.GetCommentsReply,
    styles=("b2b",),
    summary="The comments of a card's account, newest first",
    errors=(R.CARD_NOT_FOUND,),
)
async def account_comments_of(ctx: CallContext, req: m.CommentsRequest) -> m.GetCommentsReply:
    """Every comment of the card's account, added through any of its cards, newest first
    (result getSuccess); none is an empty list."""
    found = await account_comments.of_card(ctx, req.printedCardNumber)
    return m.GetCommentsReply(comments=[m.summary(c, ctx.program.timezone) for c in found])

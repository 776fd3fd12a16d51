"""Request and reply objects of the CSR Service (csr.yaml)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.store.repositories.inbox import AccountComment
from openpxs.wire.types import FlexStr, ReplyModel, WireModel


class CommentSummaryAdd(WireModel):
    """The comment to add: its text and who wrote it. Read loosely here (any length) so
    that a text too long answers csr.comment_too_long, not a generic invalid request."""

    comment: FlexStr | None = Field(
        default=None, max_length=100_000, description="The text, fewer than 500 characters."
    )
    author: FlexStr | None = Field(
        default=None, max_length=100_000, description="Who wrote it (at most 100 characters)."
    )


class AddCommentRequest(GuestRequest):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    comment: CommentSummaryAdd | None = None


class CommentsRequest(GuestRequest):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)


class AddedComment(ReplyModel):
    """The stored comment, echoed."""

    commentId: int = Field(description="The comment's id.")
    comment: str = Field(description="The text as stored (trimmed).")
    author: str = Field(description="Who wrote it.")
    createdDatetime: str = Field(description="When it was stored (server time, ISO 8601).")


class CommentSummaryReturn(ReplyModel):
    """One comment of the account."""

    commentId: int = Field(description="The comment's id.")
    comment: str = Field(description="The text.")
    author: str = Field(description="Who wrote it.")
    createdDatetime: str = Field(description="When it was stored (server time, ISO 8601).")


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def added(found: AccountComment, timezone: str) -> AddedComment:
    return AddedComment(
        commentId=found.id,
        comment=found.comment,
        author=found.author,
        createdDatetime=_local(found.created_at, timezone),
    )


def summary(found: AccountComment, timezone: str) -> CommentSummaryReturn:
    return CommentSummaryReturn(
        commentId=found.id,
        comment=found.comment,
        author=found.author,
        createdDatetime=_local(found.created_at, timezone),
    )


class AddCommentReply(ReplyModel):
    result: str = "addSuccess"
    comment: AddedComment


class GetCommentsReply(ReplyModel):
    result: str = "getSuccess"
    comments: list[CommentSummaryReturn]

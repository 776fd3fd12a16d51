"""Request and reply objects of the Message Service (message.yaml)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.store.repositories.inbox import InboxMessage
from openpxs.wire.types import FlexLong, FlexStr, ReplyModel


class MyMessagesRequest(GuestRequest):
    # Optional for a signed-in guest, whose own messages they then are.
    username: FlexStr | None = Field(default=None, max_length=254)


class MessagesByCardRequest(GuestRequest):
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)


class DeleteMessageRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    messageId: FlexLong | None = Field(
        default=None, description="The message to delete (messageId from the lists)."
    )


class Message(ReplyModel):
    """One message of the guest's inbox."""

    messageId: int = Field(description="The message's id, for deleteMessage.")
    subject: str | None = Field(default=None, description="The message's subject line.")
    body: str = Field(description="The message as plain text.")
    sentDate: str = Field(description="When it was sent (ISO 8601, merchant's time zone).")
    expirationDate: str | None = Field(
        default=None, description="When it leaves the inbox; none: it stays until deleted."
    )
    imageUrl: str | None = Field(default=None, description="An image to show with it.")

    @classmethod
    def of(cls, message: InboxMessage, timezone: str) -> Message:
        def local(moment: datetime) -> str:
            return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")

        return cls(
            messageId=message.id,
            subject=message.subject,
            body=message.body,
            sentDate=local(message.sent_at),
            expirationDate=local(message.expires_at) if message.expires_at else None,
            imageUrl=message.image_url,
        )


class MessagesReply(ReplyModel):
    result: str = "success"
    messages: list[Message] = Field(description="The inbox, newest first.")


class ResultReply(ReplyModel):
    result: str = "success"

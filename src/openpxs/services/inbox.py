"""The guest inbox (message.yaml): what the merchant told an account, listed newest first
for an app or website, and deleted by the guest.

Messages are written by the changes that tell the guest something, in the same
transaction (``notify``): a marketing message (services.marketing), a subscription's
notices, a changed password, a gift added to the card. Messages that carry a secret
(reset codes, verification codes) stay out of the inbox: whoever reads the inbox must not
learn what only the mailbox or the phone should.
"""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.store.repositories.inbox import InboxMessage
from openpxs.store.uow import UnitOfWork

# The inbox keeps the first this many characters of a text body.
BODY_LIMIT = 20_000


async def notify(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    *,
    subject: str | None,
    body: str,
    now: datetime,
    image_url: str | None = None,
) -> int:
    """Put one message in the account's inbox, in the caller's transaction."""
    return await uow.inbox.add(
        merchant_id,
        account_id,
        subject=subject[:200] if subject else None,
        body=body[:BODY_LIMIT],
        now=now,
        image_url=image_url,
    )


async def _account_of_user(call: Call, username: str | None) -> int:
    user = await user_for(call, username)
    return user.account_id


async def _account_of_card(call: Call, card: str | None) -> int:
    return (await account_by_card(call, card)).account_id


async def messages_of_user(call: Call, username: str | None) -> list[InboxMessage]:
    """The user's messages (the signed-in guest's own), newest first."""
    account_id = await _account_of_user(call, username)
    return await call.uow.inbox.of_account(call.merchant_id, account_id, call.now)


async def messages_of_card(call: Call, card: str | None) -> list[InboxMessage]:
    """The messages of the card's account, newest first."""
    account_id = await _account_of_card(call, card)
    return await call.uow.inbox.of_account(call.merchant_id, account_id, call.now)


async def delete(
    call: Call, username: str | None, card: str | None, message_id: int | None
) -> None:
    """Delete one message of the account named by username (or the signed-in guest) or
    by card. A message of any other account is "not found", as one that never was."""
    if card and not username:
        account_id = await _account_of_card(call, card)
    else:
        account_id = await _account_of_user(call, username)
    if message_id is None or not await call.uow.inbox.delete(
        call.merchant_id, account_id, message_id, call.now
    ):
        raise Refused(Reason.MESSAGE_NOT_FOUND)

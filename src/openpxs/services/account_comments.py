"""CSR account comments (csr.yaml): notes representatives attach to a guest's account so
that later agents see earlier contacts. Balances are never touched."""

from __future__ import annotations

from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.store.repositories.inbox import AccountComment

# The text must be shorter than this (documented); the author at most AUTHOR_LIMIT.
COMMENT_LIMIT = 500
AUTHOR_LIMIT = 100


def checked(text: str | None, author: str | None) -> tuple[str, str]:
    """The trimmed text and author, or the refusal that fits."""
    text, author = (text or "").strip(), (author or "").strip()
    if not text or not author:
        raise Refused(Reason.INVALID_COMMENT, "comment and author are required")
    if len(text) >= COMMENT_LIMIT:
        raise Refused(Reason.COMMENT_TOO_LONG, f"the comment has {len(text)} characters")
    if len(author) > AUTHOR_LIMIT:
        raise Refused(Reason.COMMENT_TOO_LONG, f"the author is over {AUTHOR_LIMIT} characters")
    return text, author


async def add(call: Call, card: str | None, text: str | None, author: str | None) -> AccountComment:
    ref = await account_by_card(call, card)
    clean_text, clean_author = checked(text, author)
    return await call.uow.inbox.add_comment(
        call.merchant_id, ref.account_id, clean_author, clean_text, call.now
    )


async def of_card(call: Call, card: str | None) -> list[AccountComment]:
    ref = await account_by_card(call, card)
    return await call.uow.inbox.comments(call.merchant_id, ref.account_id)

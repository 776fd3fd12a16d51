"""Transaction annotations: the comment a transaction of an account's history carries."""

from __future__ import annotations

from openpxs.domain.errors import TransactionNotFound
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef


async def annotation(call: Call, ref: AccountRef, transaction_id: int) -> str | None:
    """The comment of a transaction that named the account or moved its balances; None
    when it has none. Any other transaction is "not found"."""
    comment = await call.uow.history.comment_of(call.merchant_id, ref.account_id, transaction_id)
    if comment is None:
        raise TransactionNotFound()
    return comment or None

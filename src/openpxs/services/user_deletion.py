"""Forgetting a user: their sign-ins end, their addresses go and they leave every social
group, while their accounts stay, unregistered, with every balance."""

from __future__ import annotations

from datetime import datetime

from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.services.social_groups import forget_member
from openpxs.store.uow import UnitOfWork


async def forget_user(uow: UnitOfWork, merchant_id: int, user_id: int, now: datetime) -> None:
    await uow.tokens.revoke_user(merchant_id, user_id, now)
    await uow.addresses.remove_all_of(merchant_id, user_id)
    await forget_member(uow, merchant_id, user_id)
    await uow.users.delete(merchant_id, user_id)


async def delete_user(call: Call, username: str | None) -> None:
    """The user a call names (b2b), or the signed-in guest themself."""
    user = await user_for(call, username)
    await forget_user(call.uow, call.merchant_id, user.id, call.now)


async def delete_owner_of_card(call: Call, number: str) -> None:
    """The user who owns a card's account; an account without one is refused."""
    ref = await account_by_card(call, number)
    if ref.user_id is None:
        raise Refused(Reason.USER_NOT_FOUND)
    await forget_user(call.uow, call.merchant_id, ref.user_id, call.now)

"""A guest's messaging preferences: how often marketing messages come, and in which
language. Both must be values the merchant configured."""

from __future__ import annotations

from openpxs.domain.errors import CardNotFound, Reason, Refused
from openpxs.services.account_lookup import registered_owner
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.store.repositories.users import User


async def preference_user(call: Call, username: str | None, card: str | None) -> User:
    """The user named by username and/or the card (both must then be the same user's),
    else (a signed-in guest) the caller."""
    if not card:
        return await user_for(call, username)
    named = await user_for(call, username) if username else None
    ref = await account_by_card(call, card)
    if named is not None and ref.user_id != named.id:
        # The card is not this user's: as unknown as any card out of reach.
        raise CardNotFound()
    return await registered_owner(call, ref)


def configured(value: str, allowed: list[str]) -> str | None:
    """The configured spelling of ``value``, matched regardless of case."""
    wanted = value.strip().lower()
    return next((a for a in allowed if a.lower() == wanted), None)


async def set_message_frequency(
    call: Call, username: str | None, card: str | None, frequency: str
) -> None:
    """Store one of the merchant's message frequencies (in its configured spelling)."""
    value = configured(frequency, list(call.program.guest.message_frequencies))
    if value is None:
        raise Refused(Reason.INVALID_MESSAGE_FREQUENCY)
    user = await preference_user(call, username, card)
    await _store(call, user, message_frequency=value)


async def set_language(call: Call, username: str | None, card: str | None, language: str) -> None:
    """Store one of the merchant's languages (in its configured spelling)."""
    value = configured(language, list(call.program.guest.languages))
    if value is None:
        raise Refused(Reason.INVALID_LANGUAGE)
    user = await preference_user(call, username, card)
    await _store(call, user, language=value)


async def _store(call: Call, user: User, **values: object) -> None:
    await call.uow.users.lock(call.merchant_id, user.id)
    await call.uow.users.set_columns(call.merchant_id, user.id, **values, updated_at=call.now)

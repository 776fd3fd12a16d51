"""Guest Service: how often and in which language the guest hears from the merchant."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import BY_ID, GUEST
from openpxs.domain.errors import Reason as R
from openpxs.services import guest_preferences
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# The user is named by username and/or a card of theirs.
WHOSE = (R.USER_NOT_FOUND, R.CARD_NOT_FOUND, R.CARD_NOT_REGISTERED)


@endpoint(
    GUEST,
    "updateMessageFrequency",
    request=m.MessageFrequencyRequest,
    reply=m.SimpleReply,
    styles=BY_ID,
    summary="Store how often the guest wants marketing messages",
    errors=(R.INVALID_MESSAGE_FREQUENCY, *WHOSE),
    scope="user_write",
)
async def update_message_frequency(
    ctx: CallContext, req: m.MessageFrequencyRequest
) -> m.SimpleReply:
    """messageFrequency must be one of the merchant's configured values (default ALWAYS,
    WEEKLY, MONTHLY, NEVER), in any case; the configured spelling is stored and shown
    as messageFrequency in userInformation."""
    await guest_preferences.set_message_frequency(
        ctx, req.username, req.printedCardNumber, req.messageFrequency
    )
    return m.SimpleReply()


@endpoint(
    GUEST,
    "updateLanguagePreference",
    request=m.LanguagePreferenceRequest,
    reply=m.SimpleReply,
    styles=BY_ID,
    summary="Store the language of messages sent to the guest",
    errors=(R.INVALID_LANGUAGE, *WHOSE),
    scope="user_write",
)
async def update_language_preference(
    ctx: CallContext, req: m.LanguagePreferenceRequest
) -> m.SimpleReply:
    """languageCode must be one of the merchant's configured languages (e.g. en, es),
    in any case; the configured spelling is stored and shown as language in
    userInformation."""
    await guest_preferences.set_language(ctx, req.username, req.printedCardNumber, req.languageCode)
    return m.SimpleReply()

"""Guest Service: attaching and combining cards, enabling and disabling a card."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest.errors import ATTACHING, BY_ID, CHECKING, GUEST
from openpxs.api.guest.replies import account_information
from openpxs.domain.errors import Reason as R
from openpxs.services import guest_cards
from openpxs.services.account_overview import account_overview
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# Attaching is a guess at the card's registration code, refused once too many were wrong.
ATTACH = (
    R.CARD_NOT_FOUND,
    R.INVALID_REGISTRATION_CODE,
    R.CARD_ALREADY_REGISTERED,
    R.TOO_MANY_ATTEMPTS,
    R.USER_NOT_FOUND,
)


async def _surviving_account(ctx: CallContext, card_number: str) -> m.AccountInformationReply:
    ref = await account_by_card(ctx, card_number)
    return account_information(ctx.program, await account_overview(ctx, ref))


@endpoint(
    GUEST,
    "attachCard",
    request=m.AttachCardRequest,
    reply=m.SimpleReply,
    styles=BY_ID,
    summary="Attach another active, unregistered card to the user (balances stay apart)",
    errors=ATTACH,
    scope="account_write",
    refusals=ATTACHING,
)
async def attach_card(ctx: CallContext, req: m.AttachCardRequest) -> m.SimpleReply:
    """The user is the signed-in guest (oauth) or ``username`` (b2b). A guest must send
    the card's registration code when its batch has one. Attaching a card that is
    already the user's succeeds again."""
    user = await user_for(ctx, req.username)
    await guest_cards.attach_card(
        ctx.uow,
        ctx.program,
        ctx.online_stamp(),
        user,
        req.printedCardNumber,
        req.registrationCode,
        for_guest=ctx.principal.is_guest,
        source=ctx.guesser,
    )
    return m.SimpleReply()


@endpoint(
    GUEST,
    "combineCards",
    request=m.CombineCardsRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Move the balances of attached cards into one account",
    moves_value=True,
    errors=(R.CARDS_CANNOT_BE_COMBINED, R.CARD_NOT_FOUND, R.USER_NOT_FOUND),
    scope="account_write",
)
async def combine_cards(ctx: CallContext, req: m.CombineCardsRequest) -> m.AccountInformationReply:
    """Every wallet of each listed card's account, lot by lot with its expiry, moves into
    the account of ``primaryPrintedCardNumber`` in one transaction; the listed cards
    become additional cards of that account and their old accounts are closed. All the
    cards must be active, of one card template and attached to the same user. A card
    already in the surviving account is skipped, so a retried call succeeds."""
    survivor = await guest_cards.combine_cards(
        ctx, req.primaryPrintedCardNumber, list(req.printedCardNumbers), req.username
    )
    return await _surviving_account(ctx, survivor)


@endpoint(
    GUEST,
    "attachAndCombineCards",
    request=m.AttachCardRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Attach a card to the user and fold its balances into the user's account",
    moves_value=True,
    errors=(R.CARDS_CANNOT_BE_COMBINED, *ATTACH),
    scope="account_write",
    refusals=ATTACHING,
)
async def attach_and_combine_cards(
    ctx: CallContext, req: m.AttachCardRequest
) -> m.AccountInformationReply:
    """attachCard then combineCards into the user's primary account (the first one
    registered), in one transaction: a refusal of either step leaves the card as it
    was. Replies with the account information of the surviving account."""
    survivor = await guest_cards.attach_and_combine(
        ctx, req.username, req.printedCardNumber, req.registrationCode
    )
    return await _surviving_account(ctx, survivor)


@endpoint(
    GUEST,
    "canCombineCards",
    method="GET",
    request=m.CanCombineRequest,
    reply=m.CanCombineReply,
    styles=BY_ID,
    summary="Whether attachAndCombineCards would accept this card (changes nothing)",
    errors=(R.CARD_NOT_FOUND, R.USER_NOT_FOUND, R.TOO_MANY_ATTEMPTS),
    scope="account_read",
    refusals=CHECKING,
)
async def can_combine_cards(ctx: CallContext, req: m.CanCombineRequest) -> m.CanCombineReply:
    """canCombine is true when the card is active, unregistered or already the user's,
    of the same card template as the user's primary account and not already part of
    it. The registration code is not checked here; attachAndCombineCards checks it. A
    guest asking about a card that is not theirs and could not be combined is answered
    "not found" whatever the reason, and the answer counts as a guess, as attachCard's
    do; past the guessing limits it answers ``guest.card_not_found`` with how long to
    wait."""
    user = await user_for(ctx, req.username)
    allowed = await guest_cards.can_combine(
        ctx.uow,
        ctx.program,
        user,
        req.printedCardNumber,
        ctx.now,
        for_guest=ctx.principal.is_guest,
        source=ctx.guesser,
    )
    return m.CanCombineReply(canCombine=allowed)


@endpoint(
    GUEST,
    "changeCardStatus",
    request=m.ChangeCardStatusRequest,
    reply=m.SimpleReply,
    styles=BY_ID,
    summary="Disable a lost card or enable it again",
    errors=(R.CARD_NOT_FOUND, R.INVALID_STATUS_CHANGE),
    scope="account_write",
)
async def change_card_status(ctx: CallContext, req: m.ChangeCardStatusRequest) -> m.SimpleReply:
    """status is ACTIVE or DISABLED (any case). A disabled card is refused at the POS
    while the account's other cards keep working; the account's last active card
    cannot be disabled. Asking for the current status succeeds without a change."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    await guest_cards.change_card_status(
        ctx.uow, ctx.program, ctx.online_stamp(), ref.card_number, req.status
    )
    return m.SimpleReply()

"""Guest Service: attaching and combining cards, enabling and disabling a card."""

from __future__ import annotations

from openpxs.api.guest import models as m
from openpxs.api.guest import models_more as mm
from openpxs.api.guest.replies import account_information
from openpxs.api.guest.service import BY_ID, GUEST
from openpxs.services import guest_cards
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = guest_cards.CARD_NOT_FOUND


@endpoint(
    GUEST,
    "attachCard",
    request=mm.AttachCardRequest,
    reply=mm.SimpleReply,
    styles=BY_ID,
    summary="Attach another active, unregistered card to the user (balances stay apart)",
    errors=(
        CARD_NOT_FOUND,
        guest_cards.INVALID_REGISTRATION_CODE,
        guest_cards.CARD_ALREADY_REGISTERED,
        "user_info.not_found",
        "invalid_token",
    ),
    scope="account_write",
)
async def attach_card(ctx: CallContext, req: mm.AttachCardRequest) -> mm.SimpleReply:
    """The user is the signed-in guest (oauth) or ``username`` (b2b). A guest must send
    the card's registration code when its batch has one. Attaching a card that is
    already the user's succeeds again."""
    program = ctx.program
    user = await user_for(ctx, req.username)
    await guest_cards.attach_card(
        ctx.uow,
        program,
        ctx.online_stamp(),
        user,
        req.printedCardNumber,
        req.registrationCode,
        for_guest=ctx.principal.is_guest,
    )
    return mm.SimpleReply()


@endpoint(
    GUEST,
    "combineCards",
    request=mm.CombineCardsRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Move the balances of attached cards into one account",
    moves_value=True,
    errors=(guest_cards.CANNOT_COMBINE, CARD_NOT_FOUND, "user_info.not_found", "invalid_token"),
    scope="account_write",
)
async def combine_cards(ctx: CallContext, req: mm.CombineCardsRequest) -> m.AccountInformationReply:
    """Every wallet of each listed card's account, lot by lot with its expiry, moves into
    the account of ``primaryPrintedCardNumber`` in one transaction; the listed cards
    become additional cards of that account and their old accounts are closed. All the
    cards must be active, of one card template and attached to the same user. A card
    already in the surviving account is skipped, so a retried call succeeds."""
    program = ctx.program
    target = await account_by_card(ctx, req.primaryPrintedCardNumber)
    if req.username and not ctx.principal.is_guest:
        user = await user_for(ctx, req.username)
        if target.user_id != user.id:
            raise ServiceFailure(CARD_NOT_FOUND, "Card not found")
    for number in req.printedCardNumbers:
        await account_by_card(ctx, number)
    await guest_cards.combine(
        ctx.uow, program, ctx.online_stamp(), target.card_number, list(req.printedCardNumbers)
    )
    ref = await account_by_card(ctx, target.card_number)
    return await account_information(ctx, program, ref)


@endpoint(
    GUEST,
    "attachAndCombineCards",
    request=mm.AttachCardRequest,
    reply=m.AccountInformationReply,
    styles=BY_ID,
    summary="Attach a card to the user and fold its balances into the user's account",
    moves_value=True,
    errors=(
        guest_cards.CANNOT_COMBINE,
        CARD_NOT_FOUND,
        guest_cards.INVALID_REGISTRATION_CODE,
        guest_cards.CARD_ALREADY_REGISTERED,
        "user_info.not_found",
        "invalid_token",
    ),
    scope="account_write",
)
async def attach_and_combine_cards(
    ctx: CallContext, req: mm.AttachCardRequest
) -> m.AccountInformationReply:
    """attachCard then combineCards into the user's primary account (the first one
    registered), in one transaction: a refusal of either step leaves the card as it
    was. Replies with the account information of the surviving account."""
    program = ctx.program
    user = await user_for(ctx, req.username)
    home = await guest_cards.home_account(ctx.uow, ctx.merchant_id, user)
    if home is None:
        raise ServiceFailure(
            guest_cards.CANNOT_COMBINE, "Cards cannot be combined: the user has no active account"
        )
    card = await guest_cards.attach_card(
        ctx.uow,
        program,
        ctx.online_stamp(),
        user,
        req.printedCardNumber,
        req.registrationCode,
        for_guest=ctx.principal.is_guest,
    )
    # The home account's primary card names the survivor; user_for already proved the
    # caller may act for this user, so the account is theirs.
    target = (await ctx.uow.users.primary_cards(ctx.merchant_id, [home.id]))[home.id]
    if card.account_id != home.id:  # else a retry: the card is part of the account already
        await guest_cards.combine(ctx.uow, program, ctx.online_stamp(), target, [card.number])
    ref = await account_by_card(ctx, target)
    return await account_information(ctx, program, ref)


@endpoint(
    GUEST,
    "canCombineCards",
    method="GET",
    request=mm.CanCombineRequest,
    reply=mm.CanCombineReply,
    styles=BY_ID,
    summary="Whether attachAndCombineCards would accept this card (changes nothing)",
    errors=(CARD_NOT_FOUND, "user_info.not_found", "invalid_token"),
    scope="account_read",
)
async def can_combine_cards(ctx: CallContext, req: mm.CanCombineRequest) -> mm.CanCombineReply:
    """canCombine is true when the card is active, unregistered or already the user's,
    of the same card template as the user's primary account and not already part of
    it. The registration code is not checked here; attachAndCombineCards checks it."""
    user = await user_for(ctx, req.username)
    allowed = await guest_cards.can_combine(
        ctx.uow, ctx.merchant_id, user, req.printedCardNumber, for_guest=ctx.principal.is_guest
    )
    return mm.CanCombineReply(canCombine=allowed)


@endpoint(
    GUEST,
    "changeCardStatus",
    request=mm.ChangeCardStatusRequest,
    reply=mm.SimpleReply,
    styles=BY_ID,
    summary="Disable a lost card or enable it again",
    errors=(CARD_NOT_FOUND, guest_cards.INVALID_STATUS_CHANGE, "invalid_token"),
    scope="account_write",
)
async def change_card_status(ctx: CallContext, req: mm.ChangeCardStatusRequest) -> mm.SimpleReply:
    """status is ACTIVE or DISABLED (any case). A disabled card is refused at the POS
    while the account's other cards keep working; the account's last active card
    cannot be disabled. Asking for the current status succeeds without a change."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    await guest_cards.change_card_status(
        ctx.uow, program, ctx.online_stamp(), ref.card_number, req.status
    )
    return mm.SimpleReply()

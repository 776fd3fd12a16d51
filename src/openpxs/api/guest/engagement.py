"""Guest Service: visit codes, pending event rewards, message and language preferences,
transaction annotations, external-account lookups and eClub reads."""

from __future__ import annotations

from sqlalchemy import or_, select

from openpxs.api.guest import models as m
from openpxs.api.guest import models_more as mm
from openpxs.api.guest.replies import account_cards, account_information, user_information
from openpxs.api.guest.service import BY_CARD, BY_ID, GUEST
from openpxs.domain.money import from_units
from openpxs.domain.program import Program
from openpxs.services import visit_codes
from openpxs.services.guest_access import AccountRef, account_by_card, account_by_id, user_for
from openpxs.store.repositories.users import User
from openpxs.store.tables import (
    accounts,
    external_accounts,
    journal,
    pending_event_rewards,
    transactions,
)
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "guest.card_not_found"
ACCOUNT_NOT_FOUND = "guest.account_not_found"
EXTERNAL_NOT_FOUND = "guest.external_account_not_found"


@endpoint(
    GUEST,
    "printedCardNumberForExternalAccount",
    method="GET",
    request=mm.ExternalAccountRequest,
    reply=mm.PrintedCardNumberForExternalAccountReply,
    styles=("b2b",),
    summary="The cards of the account linked to an external account code",
    errors=(EXTERNAL_NOT_FOUND, "guest.invalid_request"),
)
async def printed_card_number_for_external_account(
    ctx: CallContext, req: mm.ExternalAccountRequest
) -> mm.PrintedCardNumberForExternalAccountReply:
    """The primary card and every other card (disabled ones too) of the active account
    whose external account has this accountCode. When one code is linked through several
    external systems to different accounts, externalIdentifier must say which."""
    conditions = [
        external_accounts.c.merchant_id == ctx.merchant_id,
        external_accounts.c.account_code == req.accountCode,
        accounts.c.status == "active",
    ]
    if req.externalIdentifier:
        conditions.append(external_accounts.c.external_identifier == req.externalIdentifier)
    found = sorted(
        {
            r.account_id
            for r in await ctx.uow.conn.execute(
                select(external_accounts.c.account_id)
                .select_from(
                    external_accounts.join(
                        accounts,
                        (accounts.c.merchant_id == external_accounts.c.merchant_id)
                        & (accounts.c.id == external_accounts.c.account_id),
                    )
                )
                .where(*conditions)
            )
        }
    )
    if not found:
        raise ServiceFailure(EXTERNAL_NOT_FOUND, "External account not found")
    if len(found) > 1:
        raise ServiceFailure(
            "guest.invalid_request",
            "Invalid request: accountCode is linked to several accounts; "
            "send externalIdentifier too",
        )
    primary, additional = await account_cards(ctx, found[0])
    return mm.PrintedCardNumberForExternalAccountReply(
        primaryCard=primary, additionalCards=additional
    )


async def _eclub_account(ctx: CallContext, program: Program, req: mm.EClubRequest) -> AccountRef:
    """The eClub account named by accountId, else by the member's e-mail, else (oauth)
    the signed-in guest's; anything that is not an eClub account is "not found"."""
    account_id = req.accountId
    if account_id is None:
        eclub_templates = [t.code for t in program.templates.values() if t.eclub]
        user_ids: list[int] = []
        if req.email:
            user_ids = [u.id for u in await ctx.uow.users.by_email(ctx.merchant_id, req.email)]
        elif ctx.principal.user_id is not None:
            user_ids = [ctx.principal.user_id]
        if ctx.principal.is_guest:
            # A guest naming someone else's e-mail finds nothing, as if it were unknown.
            user_ids = [u for u in user_ids if u == ctx.principal.user_id]
        if user_ids and eclub_templates:
            account_id = (
                await ctx.uow.conn.execute(
                    select(accounts.c.id)
                    .where(
                        accounts.c.merchant_id == ctx.merchant_id,
                        accounts.c.user_id.in_(user_ids),
                        accounts.c.template_code.in_(eclub_templates),
                        accounts.c.status == "active",
                    )
                    .order_by(accounts.c.id)
                    .limit(1)
                )
            ).scalar()
    ref = await account_by_id(ctx, account_id)
    template = program.templates.get(ref.template_code)
    if template is None or not template.eclub:
        raise ServiceFailure(ACCOUNT_NOT_FOUND, "Account not found")
    return ref


@endpoint(
    GUEST,
    "eClubAccountInformation",
    method="GET",
    request=mm.EClubRequest,
    reply=m.AccountInformationReply,
    styles=("b2b", "oauth"),
    summary="Account information of an eClub membership, by e-mail or account id",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def eclub_account_information(
    ctx: CallContext, req: mm.EClubRequest
) -> m.AccountInformationReply:
    """accountId wins over email; a signed-in guest may send neither. Only accounts of a
    card template configured as an eClub (enrollment eclub: true) are found."""
    program = ctx.program
    ref = await _eclub_account(ctx, program, req)
    return await account_information(ctx, program, ref)


@endpoint(
    GUEST,
    "eClubUserInformation",
    method="GET",
    request=mm.EClubRequest,
    reply=m.UserInformationReply,
    styles=("b2b", "oauth"),
    summary="User information of an eClub member, by e-mail or account id",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="user_read",
)
async def eclub_user_information(ctx: CallContext, req: mm.EClubRequest) -> m.UserInformationReply:
    program = ctx.program
    ref = await _eclub_account(ctx, program, req)
    user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if user is None:
        raise ServiceFailure(ACCOUNT_NOT_FOUND, "Account not found")
    return await user_information(ctx, user)


@endpoint(
    GUEST,
    "transactionAnnotation",
    method="GET",
    request=mm.AnnotationRequest,
    reply=mm.TransactionAnnotationReply,
    styles=BY_ID,
    summary="The comment of one history transaction",
    errors=(
        "guest.transaction_not_found",
        CARD_NOT_FOUND,
        ACCOUNT_NOT_FOUND,
        "invalid_token",
    ),
    scope="account_read",
)
async def transaction_annotation(
    ctx: CallContext, req: mm.AnnotationRequest
) -> mm.TransactionAnnotationReply:
    """The account is named by printedCardNumber (preferred) or accountId. The
    transaction must be one the account's history lists; annotation is left out when
    the transaction has no comment (its hasVisibleComment is false)."""
    if req.printedCardNumber:
        ref = await account_by_card(ctx, req.printedCardNumber)
    else:
        ref = await account_by_id(ctx, req.accountId)
    touched = select(journal.c.transaction_id).where(
        journal.c.merchant_id == ctx.merchant_id, journal.c.account_id == ref.account_id
    )
    row = (
        await ctx.uow.conn.execute(
            select(transactions.c.comment).where(
                transactions.c.merchant_id == ctx.merchant_id,
                transactions.c.id == req.transactionId,
                or_(transactions.c.account_id == ref.account_id, transactions.c.id.in_(touched)),
            )
        )
    ).first()
    if row is None:
        raise ServiceFailure("guest.transaction_not_found", "Transaction not found")
    return mm.TransactionAnnotationReply(annotation=row.comment or None)


async def _pending(
    ctx: CallContext, program: Program, account_id: int
) -> mm.PendingEventRewardsReply:
    today = program.today(ctx.now)
    rows = await ctx.uow.conn.execute(
        select(pending_event_rewards)
        .where(
            pending_event_rewards.c.merchant_id == ctx.merchant_id,
            pending_event_rewards.c.account_id == account_id,
        )
        .order_by(pending_event_rewards.c.id)
    )
    rewards = []
    for r in rows:
        wallet = program.wallets.get(r.wallet_code)
        # Lapsed rewards will never be granted; a wallet no longer configured cannot be
        # scaled or labelled, nor granted either.
        if wallet is None or (r.expires_on is not None and r.expires_on < today):
            continue
        rewards.append(
            mm.PendingEventReward(
                eventName=r.event_name,
                walletCode=r.wallet_code,
                quantity=from_units(r.units, wallet.scale),
                expirationDate=r.expires_on,
            )
        )
    return mm.PendingEventRewardsReply(pendingRewards=rewards)


@endpoint(
    GUEST,
    "pendingEventRewards",
    method="GET",
    request=mm.PendingRewardsByCardRequest,
    reply=mm.PendingEventRewardsReply,
    styles=BY_CARD,
    summary="Rewards an event has earned the account but not yet granted",
    errors=(CARD_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def pending_event_rewards_by_card(
    ctx: CallContext, req: mm.PendingRewardsByCardRequest
) -> mm.PendingEventRewardsReply:
    """Oldest first; rewards whose expiration date has passed are left out. quantity is
    a Decimal string in the wallet's scale."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    return await _pending(ctx, program, ref.account_id)


@endpoint(
    GUEST,
    "pendingEventRewardsById",
    method="GET",
    request=mm.PendingRewardsByIdRequest,
    reply=mm.PendingEventRewardsReply,
    styles=BY_ID,
    summary="Pending event rewards of an account",
    errors=(ACCOUNT_NOT_FOUND, "invalid_token"),
    scope="account_read",
)
async def pending_event_rewards_by_account(
    ctx: CallContext, req: mm.PendingRewardsByIdRequest
) -> mm.PendingEventRewardsReply:
    program = ctx.program
    ref = await account_by_id(ctx, req.accountId)
    return await _pending(ctx, program, ref.account_id)


@endpoint(
    GUEST,
    "applyVisitCode",
    request=mm.ApplyVisitCodeRequest,
    reply=mm.ApplyVisitCodeReply,
    styles=BY_ID,
    summary="Credit the account for a visit identified by a one-time code",
    moves_value=True,
    errors=(
        "guest.invalid_visit_code",
        "guest.visit_code_already_used",
        CARD_NOT_FOUND,
        "invalid_token",
    ),
    scope="account_write",
)
async def apply_visit_code(
    ctx: CallContext, req: mm.ApplyVisitCodeRequest
) -> mm.ApplyVisitCodeReply:
    """The code's wallet is credited once, as a visitCode transaction at the code's
    store (with the wallet's default expiry). An unknown or expired code, or one for a
    wallet the card's program does not have, is invalid_visit_code; a used one is
    visit_code_already_used. pointBalances are the points and visit-count wallets after
    the credit, as in accountInformation."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    view = await visit_codes.apply_code(
        ctx.uow, program, ctx.online_stamp(), ref.card_number, req.visitCode
    )
    return mm.ApplyVisitCodeReply(
        pointBalances=[
            m.WalletBalanceOut(
                walletCode=wallet.code,
                name=wallet.name,
                balance=balance,
                description=wallet.description,
                giftable=wallet.giftable,
            )
            for wallet, balance in view.balances
            if wallet.kind in ("points", "count")
        ]
    )


@endpoint(
    GUEST,
    "validateVisitCode",
    method="GET",
    request=mm.ValidateVisitCodeRequest,
    reply=mm.SimpleReply,
    styles=BY_ID,
    summary="Check a visit code without applying it",
    errors=("guest.invalid_visit_code", "guest.visit_code_already_used", "invalid_token"),
    scope="account_read",
)
async def validate_visit_code(ctx: CallContext, req: mm.ValidateVisitCodeRequest) -> mm.SimpleReply:
    """success while the code exists, is unused and has not expired. Whether it suits a
    particular card's program is only known when it is applied."""
    await visit_codes.usable_code(ctx.uow, ctx.merchant_id, req.visitCode, ctx.now)
    return mm.SimpleReply()


async def _preference_user(ctx: CallContext, username: str | None, card: str | None) -> User:
    """The user named by username and/or the card (both must then be the same user's),
    else (oauth) the signed-in guest."""
    if not card:
        return await user_for(ctx, username)
    named = await user_for(ctx, username) if username else None
    ref = await account_by_card(ctx, card)
    if named is not None and ref.user_id != named.id:
        # The card is not this user's: as unknown as any card out of reach.
        raise ServiceFailure(CARD_NOT_FOUND, "Card not found")
    owner = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if owner is None:
        raise ServiceFailure("guest.card_not_registered", "Card is not registered to a user")
    return owner


def _configured(value: str, allowed: list[str]) -> str | None:
    """The configured spelling of ``value``, matched regardless of case."""
    wanted = value.strip().lower()
    return next((a for a in allowed if a.lower() == wanted), None)


@endpoint(
    GUEST,
    "updateMessageFrequency",
    request=mm.MessageFrequencyRequest,
    reply=mm.SimpleReply,
    styles=BY_ID,
    summary="Store how often the guest wants marketing messages",
    errors=(
        "guest.invalid_message_frequency",
        "user_info.not_found",
        CARD_NOT_FOUND,
        "guest.card_not_registered",
        "invalid_token",
    ),
    scope="user_write",
)
async def update_message_frequency(
    ctx: CallContext, req: mm.MessageFrequencyRequest
) -> mm.SimpleReply:
    """messageFrequency must be one of the merchant's configured values (default ALWAYS,
    WEEKLY, MONTHLY, NEVER), in any case; the configured spelling is stored and shown
    as messageFrequency in userInformation."""
    program = ctx.program
    value = _configured(req.messageFrequency, list(program.guest.message_frequencies))
    if value is None:
        raise ServiceFailure("guest.invalid_message_frequency", "Invalid message frequency")
    user = await _preference_user(ctx, req.username, req.printedCardNumber)
    await ctx.uow.users.lock(ctx.merchant_id, user.id)
    await ctx.uow.users.set_columns(
        ctx.merchant_id, user.id, message_frequency=value, updated_at=ctx.now
    )
    return mm.SimpleReply()


@endpoint(
    GUEST,
    "updateLanguagePreference",
    request=mm.LanguagePreferenceRequest,
    reply=mm.SimpleReply,
    styles=BY_ID,
    summary="Store the language of messages sent to the guest",
    errors=(
        "guest.invalid_language",
        "user_info.not_found",
        CARD_NOT_FOUND,
        "guest.card_not_registered",
        "invalid_token",
    ),
    scope="user_write",
)
async def update_language_preference(
    ctx: CallContext, req: mm.LanguagePreferenceRequest
) -> mm.SimpleReply:
    """languageCode must be one of the merchant's configured languages (e.g. en, es),
    in any case; the configured spelling is stored and shown as language in
    userInformation."""
    program = ctx.program
    value = _configured(req.languageCode, list(program.guest.languages))
    if value is None:
        raise ServiceFailure("guest.invalid_language", "Invalid language")
    user = await _preference_user(ctx, req.username, req.printedCardNumber)
    await ctx.uow.users.lock(ctx.merchant_id, user.id)
    await ctx.uow.users.set_columns(ctx.merchant_id, user.id, language=value, updated_at=ctx.now)
    return mm.SimpleReply()

"""Enrollment Service: related guests kept under an account, and the automatic combine
workflow that gathers a guest's other accounts under their user."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.core import where
from openpxs.api.enrollment.service import ENROLLMENT
from openpxs.services import enrollment_more as more
from openpxs.services import guest_cards
from openpxs.services.guest_access import AccountRef, account_by_card, user_for
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "enrollment.card_not_found"
NOT_FOUND = ("enrollment.related_guest_not_found", "Related guest not found")
INVALID_WORKFLOW = ("enrollment.invalid_workflow", "Invalid or expired combine workflow")


def _out(row: Any) -> m.RelatedGuest:
    return m.RelatedGuest(
        id=row.id,
        firstName=row.first_name,
        lastName=row.last_name,
        dateOfBirth=row.date_of_birth.isoformat() if row.date_of_birth else None,
        relationship=row.relationship,
    )


async def _reply(ctx: CallContext, ref: AccountRef) -> m.RelatedGuestsReply:
    """Every related guest of the account after the change, so the app has their ids."""
    rows = await more.related_of(ctx.uow, ctx.merchant_id, ref.account_id)
    return m.RelatedGuestsReply(
        accountId=ref.account_id,
        printedCardNumber=ref.card_number,
        relatedGuests=[_out(r) for r in rows],
    )


def _sent(guest: m.RelatedGuestIn) -> dict[str, Any]:
    # Only the members the client actually sent, so an edit can tell "absent" from null.
    return guest.model_dump(exclude_unset=True)


@endpoint(
    ENROLLMENT,
    "addRelatedGuests",
    request=m.AddRelatedGuestsRequest,
    reply=m.RelatedGuestsReply,
    styles=("oauth", "b2b"),
    summary="Add one or more related guests to an account",
    errors=("enrollment.field_validation", "enrollment.card_not_found", "invalid_token"),
    scope="account_write",
)
async def add_related_guests(
    ctx: CallContext, req: m.AddRelatedGuestsRequest
) -> m.RelatedGuestsReply:
    """Each guest needs a firstName; errors are keyed ``relatedGuests/<index>/<member>``.
    All are added or none. The reply lists the account's related guests with their ids."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    if not req.relatedGuests:
        raise ServiceFailure("enrollment.invalid_request", "Send at least one related guest")
    today = program.today(ctx.now)
    values = [
        more.check_related(_sent(g), f"relatedGuests/{i}", today, partial=False)
        for i, g in enumerate(req.relatedGuests)
    ]
    await ctx.uow.users.lock_account(ctx.merchant_id, ref.account_id)
    await more.add_related(ctx.uow, ctx.merchant_id, ref.account_id, values)
    return await _reply(ctx, ref)


@endpoint(
    ENROLLMENT,
    "editRelatedGuest",
    request=m.EditRelatedGuestRequest,
    reply=m.RelatedGuestsReply,
    styles=("oauth", "b2b"),
    summary="Change a related guest of an account",
    errors=(
        "enrollment.related_guest_not_found",
        "enrollment.field_validation",
        "enrollment.card_not_found",
        "invalid_token",
    ),
    scope="account_write",
)
async def edit_related_guest(
    ctx: CallContext, req: m.EditRelatedGuestRequest
) -> m.RelatedGuestsReply:
    """Members sent change (null clears one, except firstName); absent members stay."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    if req.relatedGuest.id is None:
        raise ServiceFailure(*NOT_FOUND)
    values = more.check_related(
        _sent(req.relatedGuest), "relatedGuest", program.today(ctx.now), partial=True
    )
    await more.edit_related(ctx.uow, ctx.merchant_id, ref.account_id, req.relatedGuest.id, values)
    return await _reply(ctx, ref)


@endpoint(
    ENROLLMENT,
    "relatedGuest",
    method="DELETE",
    request=m.RemoveRelatedGuestRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="Remove a related guest from an account",
    errors=("enrollment.related_guest_not_found", "enrollment.card_not_found", "invalid_token"),
    scope="account_write",
)
async def remove_related_guest(ctx: CallContext, req: m.RemoveRelatedGuestRequest) -> m.SimpleReply:
    ref = await account_by_card(ctx, req.printedCardNumber)
    await more.remove_related(ctx.uow, ctx.merchant_id, ref.account_id, req.relatedGuestId)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "validateRelatedGuest",
    request=m.ValidateRelatedGuestRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b", "anonymous"),
    summary="Check a related guest's values without saving them",
    errors=("enrollment.field_validation", "invalid_token"),
)
async def validate_related_guest(
    ctx: CallContext, req: m.ValidateRelatedGuestRequest
) -> m.EnrollmentReply:
    """The checks of addRelatedGuests; errors keyed ``relatedGuest/<member>``."""
    program = ctx.program
    more.check_related(
        _sent(req.relatedGuest), "relatedGuest", program.today(ctx.now), partial=False
    )
    return m.EnrollmentReply()


def _candidates_out(found: list[more.Candidate]) -> list[m.CandidateAccount]:
    return [
        m.CandidateAccount(
            accountId=c.account_id,
            maskedCardNumber="*" * max(0, len(c.card_number) - 4) + c.card_number[-4:],
            cardTemplateCode=c.template_code,
            registered=c.registered,
        )
        for c in found
    ]


@endpoint(
    ENROLLMENT,
    "beginAutomaticCombine",
    request=m.BeginCombineRequest,
    reply=m.AutomaticCombineReply,
    styles=("oauth", "b2b"),
    summary="Find the guest's other accounts by e-mail or phone and send an ownership code",
    errors=("enrollment.no_combine_candidates", "user_info.not_found", "invalid_token"),
    scope="account_write",
)
async def begin_combine(ctx: CallContext, req: m.BeginCombineRequest) -> m.AutomaticCombineReply:
    """Matches on the user's e-mail when other accounts share it, else on their mobile
    phone; a one-time code goes to that address, proving the guest controls it. The
    workflow lives 30 minutes."""
    program = ctx.program
    user = await user_for(ctx, req.username)
    channel: Literal["email", "sms"] = "email"
    found: list[more.Candidate] = []
    if user.email:
        found = await more.combine_candidates(ctx.uow, ctx.merchant_id, user, "email")
    phone = user.fields.get("mobilePhone")
    if not found and isinstance(phone, str) and phone:
        channel = "sms"
        found = await more.combine_candidates(ctx.uow, ctx.merchant_id, user, "sms")
    if not found:
        raise ServiceFailure("enrollment.no_combine_candidates", "No accounts found to combine")
    workflow_id = secrets.token_urlsafe(24)
    await more.store_workflow(
        ctx.uow, ctx.merchant_id, workflow_id, user.id, [c.account_id for c in found], ctx.now
    )
    await more.send_code(
        ctx.uow,
        program,
        purpose=more.AUTOMATIC_COMBINE,
        user=user,
        channel=channel,
        recipient=user.email if channel == "email" and user.email else str(phone),
        subject="Combine your accounts",
        what="combine your accounts",
        now=ctx.now,
    )
    return m.AutomaticCombineReply(
        workflowId=workflow_id,
        candidateAccounts=_candidates_out(found),
        verificationChannel=channel,
    )


async def _workflow(ctx: CallContext, workflow_id: str, *, lock: bool) -> more.Workflow:
    """A live workflow of the caller (any of the merchant's for b2b)."""
    flow = await more.live_workflow(ctx.uow, ctx.merchant_id, workflow_id, ctx.now, lock=lock)
    if flow is None or (ctx.principal.is_guest and flow.user_id != ctx.principal.user_id):
        raise ServiceFailure(*INVALID_WORKFLOW)
    return flow


@endpoint(
    ENROLLMENT,
    "automaticCombineCandidates",
    method="GET",
    request=m.WorkflowRequest,
    reply=m.AutomaticCombineReply,
    styles=("oauth", "b2b"),
    summary="The accounts a combine workflow found",
    errors=("enrollment.invalid_workflow", "invalid_token"),
    scope="account_read",
)
async def combine_candidates(ctx: CallContext, req: m.WorkflowRequest) -> m.AutomaticCombineReply:
    flow = await _workflow(ctx, req.workflowId, lock=False)
    user = await ctx.uow.users.by_id(ctx.merchant_id, flow.user_id)
    if user is None:
        raise ServiceFailure(*INVALID_WORKFLOW)
    numbers = await ctx.uow.users.primary_cards(ctx.merchant_id, flow.account_ids)
    found = []
    for account_id in flow.account_ids:
        number = numbers.get(account_id)
        owner = await ctx.uow.users.of_account(ctx.merchant_id, account_id)
        if number is None or (owner is not None and owner.id == user.id):
            continue
        template = await more.template_code_of(ctx.uow, ctx.merchant_id, account_id)
        registered = owner is not None and owner.username is not None
        found.append(more.Candidate(account_id, template, number, registered))
    return m.AutomaticCombineReply(
        workflowId=flow.workflow_id, candidateAccounts=_candidates_out(found)
    )


@endpoint(
    ENROLLMENT,
    "completeAutomaticCombine",
    request=m.CompleteCombineRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b"),
    summary="Attach the confirmed candidate accounts to the guest and end the workflow",
    errors=(
        "enrollment.invalid_workflow",
        "enrollment.invalid_verification_code",
        "invalid_token",
    ),
    scope="account_write",
)
async def complete_combine(ctx: CallContext, req: m.CompleteCombineRequest) -> m.EnrollmentReply:
    """A guest must send the code from beginAutomaticCombine (a b2b caller acts with the
    merchant's authority and may leave it out). ``accountIds`` picks candidates; all by
    default. Each account becomes the guest's; those of the guest's home account's card
    template are then folded into it (balances move as ledger transactions, as
    guest/attachAndCombineCards does), the others stay separate accounts of the guest."""
    program = ctx.program
    flow = await _workflow(ctx, req.workflowId, lock=True)
    chosen = flow.account_ids if req.accountIds is None else list(dict.fromkeys(req.accountIds))
    if not chosen or not set(chosen) <= set(flow.account_ids):
        raise ServiceFailure(
            "enrollment.invalid_request", "accountIds must be candidates of the workflow"
        )
    if ctx.principal.is_guest or req.verificationCode:
        used = await ctx.uow.codes.use(
            merchant_id=ctx.merchant_id,
            purpose=more.AUTOMATIC_COMBINE,
            code=req.verificationCode or "",
            now=ctx.now,
            user_id=flow.user_id,
        )
        if used is None:
            raise ServiceFailure(
                "enrollment.invalid_verification_code",
                "Invalid verification code",
                intents=more.wrong_code(program, more.AUTOMATIC_COMBINE, flow.user_id, [], ctx.now),
            )
    moved = await more.attach_accounts(ctx.uow, ctx.merchant_id, flow.user_id, chosen, ctx.now)
    await more.finish_workflow(ctx.uow, ctx.merchant_id, flow.workflow_id, ctx.now)
    user = await ctx.uow.users.by_id(ctx.merchant_id, flow.user_id)
    assert user is not None
    home = await guest_cards.home_account(ctx.uow, ctx.merchant_id, user)
    if home is None:
        raise ServiceFailure(*INVALID_WORKFLOW)
    target = await more.primary_card(ctx.uow, ctx.merchant_id, home.id)
    assert target is not None
    # Value can only be folded within one program; accounts of another template stay
    # separate accounts of the guest.
    numbers = await ctx.uow.users.primary_cards(ctx.merchant_id, moved)
    sources = [
        numbers[a]
        for a in moved
        if a != home.id
        and a in numbers
        and await more.template_code_of(ctx.uow, ctx.merchant_id, a) == home.template_code
    ]
    if sources:
        await guest_cards.combine(ctx.uow, program, where(ctx, None), target, sources)
    return m.EnrollmentReply(accountId=home.id, printedCardNumber=target)

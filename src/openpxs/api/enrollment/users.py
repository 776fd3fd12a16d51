"""Enrollment Service: the user record (fields, deletion, addresses, e-mail verification),
eClub members, external accounts and perks."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.core import ConfigRequest, config_entries
from openpxs.api.enrollment.service import ENROLLMENT
from openpxs.domain.errors import DomainError, Reason, Refused
from openpxs.services import enrollment as svc
from openpxs.services import enrollment_more as more
from openpxs.services import oauth
from openpxs.services.guest_access import account_by_card, account_by_id, user_for
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "enrollment.card_not_found"
USER_NOT_FOUND = "user_info.not_found"


@endpoint(
    ENROLLMENT,
    "editUser",
    request=m.EditUserRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "guest", "b2b"),
    summary="Change user-level fields",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "user_info.not_found",
        "invalid_token",
    ),
    scope="user_write",
)
async def edit_user(ctx: CallContext, req: m.EditUserRequest) -> m.EnrollmentReply:
    """As editAccount's user part: only the fields sent change (null clears one), checked
    against the form of the user's account; the username stays unique."""
    program = ctx.program
    user = await user_for(ctx, req.username)
    template_code = await more.template_code_of(ctx.uow, ctx.merchant_id, user.account_id)
    template = svc.template_of(program, template_code)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    checked = svc.check_fields(
        program, template, req.setUserFields, None, ctx.now, creating=False, registering=False
    )
    if not checked.user:
        raise ServiceFailure("enrollment.invalid_request", "Send at least one field to change")
    await svc.edit_user(ctx.uow, program, template, user, checked.user, enforce, ctx.now)
    return m.EnrollmentReply(
        accountId=user.account_id,
        printedCardNumber=await more.primary_card(ctx.uow, ctx.merchant_id, user.account_id),
    )


@endpoint(
    ENROLLMENT,
    "user",
    method="DELETE",
    request=m.UserRequest,
    reply=m.SimpleReply,
    styles=("b2b", "oauth"),
    summary="Delete a user; their accounts stay, unregistered, with their balances",
    errors=("user_info.not_found", "invalid_token"),
    scope="user_write",
)
async def delete_user(ctx: CallContext, req: m.UserRequest) -> m.SimpleReply:
    """b2b names the ``username``; an OAuth guest deletes themself (username optional).
    Every sign-in of the user ends and their secondary addresses are deleted."""
    user = await user_for(ctx, req.username)
    await more.forget_user(ctx.uow, ctx.merchant_id, user.id, ctx.now)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "userByPrintedCardNumber",
    method="DELETE",
    request=m.CardOnlyRequest,
    reply=m.SimpleReply,
    styles=("b2b", "oauth"),
    summary="Delete the user who owns a card's account",
    errors=("enrollment.card_not_found", "user_info.not_found", "invalid_token"),
    scope="user_write",
)
async def delete_user_by_card(ctx: CallContext, req: m.CardOnlyRequest) -> m.SimpleReply:
    """``user_info.not_found`` when the card's account has no user."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    if ref.user_id is None:
        raise ServiceFailure(USER_NOT_FOUND, "The user was not found")
    await more.forget_user(ctx.uow, ctx.merchant_id, ref.user_id, ctx.now)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "addAddressForUser",
    request=m.AddressRequest,
    reply=m.AddressReply,
    styles=("oauth", "b2b"),
    summary="Store a secondary address for a user",
    errors=("enrollment.field_validation", "user_info.not_found", "invalid_token"),
    scope="user_write",
)
async def add_address(ctx: CallContext, req: m.AddressRequest) -> m.AddressReply:
    """Answers the new ``addressId``; an addressId sent here is ignored."""
    user = await user_for(ctx, req.username)
    values = more.address_values(req.address.model_dump())
    await ctx.uow.users.lock(ctx.merchant_id, user.id)
    address_id = await more.add_address(ctx.uow, ctx.merchant_id, user.id, values)
    return m.AddressReply(addressId=address_id)


@endpoint(
    ENROLLMENT,
    "editAddressForUser",
    request=m.AddressRequest,
    reply=m.AddressReply,
    styles=("oauth", "b2b"),
    summary="Replace the values of one secondary address",
    errors=(
        "enrollment.address_not_found",
        "enrollment.field_validation",
        "user_info.not_found",
        "invalid_token",
    ),
    scope="user_write",
)
async def edit_address(ctx: CallContext, req: m.AddressRequest) -> m.AddressReply:
    """Every member is replaced: one left out is cleared."""
    user = await user_for(ctx, req.username)
    if req.address.addressId is None:
        raise ServiceFailure("enrollment.address_not_found", "Address not found")
    values = more.address_values(req.address.model_dump())
    await more.edit_address(ctx.uow, ctx.merchant_id, user.id, req.address.addressId, values)
    return m.AddressReply(addressId=req.address.addressId)


@endpoint(
    ENROLLMENT,
    "deleteAddressForUser",
    method="DELETE",
    request=m.DeleteAddressRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="Delete one secondary address",
    errors=("enrollment.address_not_found", "user_info.not_found", "invalid_token"),
    scope="user_write",
)
async def delete_address(ctx: CallContext, req: m.DeleteAddressRequest) -> m.SimpleReply:
    user = await user_for(ctx, req.username)
    await more.delete_address(ctx.uow, ctx.merchant_id, user.id, req.addressId)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "editExternalAccounts",
    request=m.ExternalAccountsRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b"),
    summary="Link or unlink external identifiers of an account",
    errors=("enrollment.field_validation", "enrollment.card_not_found", "invalid_token"),
    scope="account_write",
)
async def edit_external_accounts(
    ctx: CallContext, req: m.ExternalAccountsRequest
) -> m.EnrollmentReply:
    """Removals run first, then additions. Linking a pair already on this account is a
    no-op; a pair linked to another account is refused (``already_linked``)."""
    ref = await account_by_card(ctx, req.printedCardNumber)
    add = [(e.externalIdentifier, e.accountCode) for e in req.addExternalAccounts or []]
    remove = [(e.externalIdentifier, e.accountCode) for e in req.removeExternalAccounts or []]
    if not add and not remove:
        raise ServiceFailure(
            "enrollment.invalid_request", "Send addExternalAccounts or removeExternalAccounts"
        )
    await ctx.uow.users.lock_account(ctx.merchant_id, ref.account_id)
    await more.unlink_external(ctx.uow, ctx.merchant_id, ref.account_id, remove)
    await more.link_external(ctx.uow, ctx.merchant_id, ref.account_id, add)
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)


async def _eclub_account(ctx: CallContext, req: m.EClubEditRequest) -> int:
    """The eClub member's account, by card number or by the e-mail they signed up with."""
    if req.printedCardNumber:
        return (await account_by_card(ctx, req.printedCardNumber)).account_id
    if not req.email:
        raise ServiceFailure("enrollment.invalid_request", "Send email or printedCardNumber")
    user = await ctx.uow.users.by_unique(ctx.merchant_id, "email", req.email)
    if user is None:
        matches = await ctx.uow.users.by_email(ctx.merchant_id, req.email)
        user = matches[0] if len(matches) == 1 else None
    if user is None:
        raise Refused(Reason.USER_NOT_FOUND)
    try:
        ref = await account_by_id(ctx, user.account_id)
    except DomainError:
        raise Refused(Reason.USER_NOT_FOUND) from None
    return ref.account_id


@endpoint(
    ENROLLMENT,
    "editEClubAccount",
    request=m.EClubEditRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Change the user or account fields of an eClub member",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.invalid_card_template",
        "enrollment.card_not_found",
        "user_info.not_found",
        "invalid_token",
    ),
    scope="account_write",
)
async def edit_eclub(ctx: CallContext, req: m.EClubEditRequest) -> m.EnrollmentReply:
    """As editAccount for an account of an eClub template (others are
    ``invalid_card_template``); the member may add a login here."""
    program = ctx.program
    account_id = await _eclub_account(ctx, req)
    template = more.eclub_template(
        program, await more.template_code_of(ctx.uow, ctx.merchant_id, account_id)
    )
    checked = svc.check_fields(
        program,
        template,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        creating=False,
        registering=False,
    )
    if not checked.user and not checked.account:
        raise ServiceFailure("enrollment.invalid_request", "Send at least one field to change")
    if checked.user:
        user = await ctx.uow.users.of_account(ctx.merchant_id, account_id)
        if user is None:
            raise ServiceFailure(USER_NOT_FOUND, "The user was not found")
        await svc.edit_user(ctx.uow, program, template, user, checked.user, [], ctx.now)
    if checked.account:
        await svc.set_account_fields(ctx.uow, ctx.merchant_id, account_id, checked.account)
    return m.EnrollmentReply(
        accountId=account_id,
        printedCardNumber=await more.primary_card(ctx.uow, ctx.merchant_id, account_id),
    )


@endpoint(
    ENROLLMENT,
    "eClubEnrollmentConfig",
    method="GET",
    request=ConfigRequest,
    reply=m.EnrollmentConfigReply,
    styles=("anonymous", "b2b"),
    summary="The sign-up form of an eClub program",
    errors=("enrollment.invalid_card_template",),
)
async def eclub_config(ctx: CallContext, req: ConfigRequest) -> m.EnrollmentConfigReply:
    """As enrollmentConfig, for eClub templates only; username and password are shown as
    not required, since an eClub member need not have a login."""
    program = ctx.program
    template = more.eclub_template(program, req.cardTemplateCode)
    entries = [
        e.model_copy(update={"required": False}) if e.field in more.LOGIN else e
        for e in config_entries(template)
    ]
    return m.EnrollmentConfigReply(config=m.EnrollmentConfig(fields=entries))


@endpoint(
    ENROLLMENT,
    "configuredPerks",
    method="GET",
    request=m.PerksRequest,
    reply=m.ConfiguredPerksReply,
    styles=("anonymous", "b2b", "oauth"),
    summary="The perks configured for one perk type",
    errors=("enrollment.invalid_perk_type", "invalid_token"),
)
async def configured_perks(ctx: CallContext, req: m.PerksRequest) -> m.ConfiguredPerksReply:
    """A type with no configured perk is ``invalid_perk_type``."""
    program = ctx.program
    perks = [p for p in program.guest.perks if p.type == req.perkType]
    if not perks:
        raise ServiceFailure("enrollment.invalid_perk_type", "Invalid perk type")
    return m.ConfiguredPerksReply(
        perks=[m.Perk(code=p.code, type=p.type, label=p.label) for p in perks]
    )


@endpoint(
    ENROLLMENT,
    "addAccountPerk",
    request=m.PerkRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Attach a configured perk to an account",
    errors=("enrollment.invalid_perk", "enrollment.card_not_found", "invalid_token"),
    scope="account_write",
)
async def add_account_perk(ctx: CallContext, req: m.PerkRequest) -> m.EnrollmentReply:
    """Adding a perk the account already has is a success that changes nothing."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    if not any(p.code == req.perkCode for p in program.guest.perks):
        raise ServiceFailure("enrollment.invalid_perk", "Invalid perk")
    await ctx.uow.users.lock_account(ctx.merchant_id, ref.account_id)
    await more.add_perk(ctx.uow, ctx.merchant_id, ref.account_id, req.perkCode, ctx.now)
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)


@endpoint(
    ENROLLMENT,
    "sendEmailVerificationChallenge",
    request=m.UserRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="E-mail the user a one-time code that verifies their address",
    errors=(
        "enrollment.email_missing",
        "enrollment.email_already_verified",
        "user_info.not_found",
        "invalid_token",
    ),
    scope="user_write",
)
async def send_email_challenge(ctx: CallContext, req: m.UserRequest) -> m.SimpleReply:
    """A new challenge replaces the user's earlier unused code."""
    program = ctx.program
    user = await user_for(ctx, req.username)
    if not user.email:
        raise ServiceFailure("enrollment.email_missing", "User has no email address")
    if user.email_verified:
        raise ServiceFailure(
            "enrollment.email_already_verified", "Email address is already verified"
        )
    await more.send_code(
        ctx.uow,
        program,
        purpose=more.EMAIL_VERIFICATION,
        user=user,
        channel="email",
        recipient=user.email,
        subject="Verify your e-mail address",
        what="verify your e-mail address",
        now=ctx.now,
    )
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "completeEmailVerification",
    request=m.CompleteVerificationRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b", "anonymous"),
    summary="Check the e-mailed code and mark the user's e-mail address verified",
    errors=("enrollment.invalid_verification_code", "invalid_token"),
)
async def complete_email_verification(
    ctx: CallContext, req: m.CompleteVerificationRequest
) -> m.SimpleReply:
    """An OAuth guest's code must be their own, and five wrong codes wear it out. A code
    sent without a guest (an e-mailed link) is accepted for whomever it was issued to;
    those guesses count against the integration, as card-number guesses do."""
    program = ctx.program
    principal = ctx.principal
    user_id = principal.user_id if principal.is_guest else None
    subjects = [] if principal.is_guest else [f"client:{ctx.integration.id}"]
    if subjects:
        await oauth.refuse_if_locked(
            ctx.uow, program, subjects, ctx.now, reason=Reason.TOO_MANY_ATTEMPTS
        )
    used = await ctx.uow.codes.use(
        merchant_id=ctx.merchant_id,
        purpose=more.EMAIL_VERIFICATION,
        code=req.verificationCode,
        now=ctx.now,
        user_id=user_id,
    )
    user = (
        await ctx.uow.users.by_id(ctx.merchant_id, used.user_id)
        if used is not None and used.user_id is not None
        else None
    )
    # The address must still be the one the code went to: a changed e-mail needs a new code.
    if user is None or used is None or (user.email or "") != (used.target or ""):
        raise ServiceFailure(
            "enrollment.invalid_verification_code",
            "Invalid verification code",
            intents=more.wrong_code(program, more.EMAIL_VERIFICATION, user_id, subjects, ctx.now),
        )
    await ctx.uow.users.set_columns(ctx.merchant_id, user.id, email_verified=True)
    return m.SimpleReply()

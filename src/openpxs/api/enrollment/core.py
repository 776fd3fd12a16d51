"""Enrollment Service: the form, creating and registering accounts, editing fields."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.service import ENROLLMENT
from openpxs.domain.program import CardTemplateDef, Program
from openpxs.domain.stamp import CallStamp
from openpxs.services import enrollment as svc
from openpxs.services import oauth
from openpxs.services.guest_access import account_by_card
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint
from openpxs.wire.types import FlexInt, WireModel

CARD_CREATED = "cardCreatedSuccess"


def where(ctx: CallContext, store_code: str | None = None) -> CallStamp:
    """The stamp of a guest-facing call's transactions: no terminal, operator or POS id."""
    return CallStamp(
        merchant_id=ctx.merchant_id,
        store_code=store_code,
        terminal_id=None,
        operator_id=None,
        pos_transaction_id=None,
        pos_datetime=None,
        integration_id=ctx.integration.id,
        now=ctx.now,
    )


async def tokens_for(
    ctx: CallContext, program: Program, user_id: int, card_number: str
) -> m.OAuthTokens:
    """Sign the new guest in at once, so the app needs no second call."""
    user = await ctx.uow.users.by_id(ctx.merchant_id, user_id)
    assert user is not None
    issued = await oauth.issue_tokens(
        ctx.uow, program, ctx.integration, user, oauth.DEFAULT_SCOPE, ctx.now
    )
    return m.OAuthTokens(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        printedCardNumber=card_number,
        scope=issued.scope,
        username=issued.username,
    )


def config_entries(template: CardTemplateDef) -> list[m.ConfigEntry]:
    entries = []
    for setting in template.form.values():
        entries.append(
            m.ConfigEntry(
                field=setting.name,
                type=setting.type,
                required=setting.required or setting.name in ("username", "password"),
                label=setting.label,
                minLength=setting.min_length,
                # No maxLength for the password (changelog 19.18): clients must not cap it.
                maxLength=None if setting.type == "password" else setting.max_length,
                unique=setting.unique or None,
                scope=setting.scope,
            )
        )
    return entries


class ConfigRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    cardTemplateCode: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


@endpoint(
    ENROLLMENT,
    "enrollmentConfig",
    method="GET",
    request=ConfigRequest,
    reply=m.EnrollmentConfigReply,
    styles=("anonymous", "b2b"),
    summary="The user and account fields of a program's registration form",
    errors=("enrollment.invalid_card_template",),
)
async def enrollment_config(ctx: CallContext, req: ConfigRequest) -> m.EnrollmentConfigReply:
    """Each field with its type, whether it is required, its length limits and label.
    Clients read the ``password`` entry's minLength to build their form."""
    program = ctx.program
    template = svc.template_of(program, req.cardTemplateCode)
    return m.EnrollmentConfigReply(config=m.EnrollmentConfig(fields=config_entries(template)))


async def create_and_register(
    ctx: CallContext, req: m.CreateRequest, card_number: str | None = None
) -> m.EnrollmentReply:
    program = ctx.program
    template = svc.template_of(program, req.cardTemplateCode)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    store = svc.resolve_store(program, req.activationStoreCode)
    checked = svc.check_fields(
        program,
        template,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        creating=True,
        registering=True,
    )
    enrolled = await svc.enroll(
        ctx.uow,
        program,
        where(ctx, store),
        template,
        checked,
        enforce,
        user="always",
        card_number=card_number,
    )
    return m.EnrollmentReply(
        result=CARD_CREATED,
        accountId=enrolled.account_id,
        printedCardNumber=enrolled.card_number,
        oauthTokens=await tokens_for(ctx, program, enrolled.user, enrolled.card_number),
    )


@endpoint(
    ENROLLMENT,
    "createAndRegister",
    request=m.CreateRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous",),
    summary="Create a virtual card, register the guest on it and sign them in",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.invalid_card_template",
    ),
)
async def create_and_register_endpoint(ctx: CallContext, req: m.CreateRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess`` with the new card, account and OAuth tokens;
    ``uniquenessConflict`` when a unique field (always the username) is taken; failure
    with ``errorsByField`` for invalid values. Nothing is created unless all is well."""
    return await create_and_register(ctx, req)


class RegisterRequest(m.CardRequest):
    cardTemplateCode: FlexInt | None = None


@endpoint(
    ENROLLMENT,
    "register",
    request=RegisterRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "card", "b2b"),
    summary="Register a guest on an active physical card",
    errors=(
        "enrollment.card_not_found",
        "enrollment.card_not_active",
        "enrollment.already_registered",
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
    ),
    scope="account_write",
)
async def register(ctx: CallContext, req: RegisterRequest) -> m.EnrollmentReply:
    """Creates the user and attaches the card's account (or gives a login to the guest
    the account already knows by fields only); answers with OAuth tokens."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    if ref.status != "active" or ref.card_status != "active":
        raise ServiceFailure("enrollment.card_not_active", "Card is not active")
    # Read the owner again under the account's lock: two registrations of one card
    # must not both succeed.
    await ctx.uow.users.lock_account(ctx.merchant_id, ref.account_id)
    existing = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if existing is not None and existing.username is not None:
        raise ServiceFailure("enrollment.already_registered", "Account is already registered")
    template = svc.template_of(program, ref.template_code)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    # A guest the account already knows keeps their fields: only the login is new.
    checked = svc.check_fields(
        program,
        template,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        creating=existing is None,
        registering=existing is None,
    )
    if existing is not None:
        svc.require_login(checked)
    if existing is None:
        user_id = await svc.register_user(
            ctx.uow, program, template, ref.account_id, checked.user, enforce, ctx.now
        )
    else:
        # A guest known by fields only (createAndEdit, smsEnroll) now adds a login.
        await svc.edit_user(ctx.uow, program, template, existing, checked.user, enforce, ctx.now)
        user_id = existing.id
    await svc.set_account_fields(ctx.uow, ctx.merchant_id, ref.account_id, checked.account)
    return m.EnrollmentReply(
        accountId=ref.account_id,
        printedCardNumber=ref.card_number,
        oauthTokens=await tokens_for(ctx, program, user_id, ref.card_number),
    )


@endpoint(
    ENROLLMENT,
    "editAccount",
    request=m.CardRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b", "card", "guest"),
    summary="Change any mix of user and account fields",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.card_not_found",
        "invalid_token",
    ),
    scope="account_write",
)
async def edit_account(ctx: CallContext, req: m.CardRequest) -> m.EnrollmentReply:
    """Only the fields sent change (null clears one); at least one field must be sent.
    The username and password may change too; the username stays unique."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    template = svc.template_of(program, ref.template_code)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
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
        user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
        if user is None:
            raise ServiceFailure(
                "enrollment.card_not_registered",
                "The account has no registered user whose fields could change",
            )
        await svc.edit_user(ctx.uow, program, template, user, checked.user, enforce, ctx.now)
    if checked.account:
        await svc.set_account_fields(ctx.uow, ctx.merchant_id, ref.account_id, checked.account)
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)

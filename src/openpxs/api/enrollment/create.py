"""Enrollment Service: the other ways into a program - a virtual card without a login, a
card number the caller chooses, an email club, activating a physical card, and a phone
number that is texted a link."""

from __future__ import annotations

import hmac

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.core import CARD_CREATED, create_and_register, tokens_for, where
from openpxs.api.enrollment.service import ENROLLMENT
from openpxs.domain.errors import Reason
from openpxs.domain.fields import FieldError
from openpxs.domain.program import Program
from openpxs.services import enrollment as svc
from openpxs.services import enrollment_more as more
from openpxs.services import oauth
from openpxs.services.guest_access import account_by_card
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.registry import endpoint

CARD_NOT_FOUND = "enrollment.card_not_found"


@endpoint(
    ENROLLMENT,
    "createAndEdit",
    request=m.CreateRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "anonymous"),
    summary="Create a virtual card and set its fields without registering a user",
    errors=(
        "enrollment.invalid_card_template",
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
    ),
)
async def create_and_edit(ctx: CallContext, req: m.CreateRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess`` with the new card and account. User fields, when
    sent, must fill the form's required fields and are kept on a user without a login;
    ``username``/``password`` are refused (this call does not register)."""
    program = ctx.program
    template = svc.template_of(program, req.cardTemplateCode)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    store = svc.resolve_store(program, req.activationStoreCode)
    sends_user = isinstance(req.setUserFields, dict) and any(
        k != "style" for k in req.setUserFields
    )
    checked = more.check_form(
        program,
        template.form,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        login="refused",
        require=sends_user,
    )
    enrolled = await svc.enroll(
        ctx.uow, program, where(ctx, store), template, checked, enforce, user="if_sent"
    )
    return m.EnrollmentReply(
        result=CARD_CREATED, accountId=enrolled.account_id, printedCardNumber=enrolled.card_number
    )


def _check_number(number: str) -> None:
    # Numbers are printed and typed by people and scanned by POS readers: digits only.
    if not number.isascii() or not number.isdigit() or not 6 <= len(number) <= 32:
        raise more.failure(
            {"printedCardNumber": [FieldError("invalid_format", "Must be 6 to 32 digits")]}
        )


@endpoint(
    ENROLLMENT,
    "createAndRegisterWithCardNumber",
    request=m.CreateWithNumberRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Create a card with the caller's number, register the guest and sign them in",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.card_number_in_use",
        "enrollment.invalid_card_template",
    ),
)
async def create_with_number(ctx: CallContext, req: m.CreateWithNumberRequest) -> m.EnrollmentReply:
    """As createAndRegister (``cardCreatedSuccess`` with OAuth tokens), but the new card
    gets ``printedCardNumber``; a number that exists already is ``card_number_in_use``."""
    _check_number(req.printedCardNumber)
    return await create_and_register(ctx, req, req.printedCardNumber)


@endpoint(
    ENROLLMENT,
    "createEClubAndRegister",
    request=m.CreateRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Sign a guest up to an email club on a new virtual card",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.invalid_card_template",
    ),
)
async def create_eclub(ctx: CallContext, req: m.CreateRequest) -> m.EnrollmentReply:
    """``cardTemplateCode`` must be an eClub template. The form's required fields apply;
    a login (username and password together) is optional, and only with one does the
    reply carry OAuth tokens."""
    program = ctx.program
    template = more.eclub_template(program, req.cardTemplateCode)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    store = svc.resolve_store(program, req.activationStoreCode)
    checked = more.check_form(
        program,
        template.form,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        login="optional",
        require=True,
    )
    enrolled = await svc.enroll(
        ctx.uow, program, where(ctx, store), template, checked, enforce, user="always"
    )
    tokens = None
    if checked.user.get("password") is not None:
        tokens = await tokens_for(ctx, program, enrolled.user, enrolled.card_number)
    return m.EnrollmentReply(
        result=CARD_CREATED,
        accountId=enrolled.account_id,
        printedCardNumber=enrolled.card_number,
        oauthTokens=tokens,
    )


async def _inactive_card(
    ctx: CallContext, program: Program, req: m.ActivateRequest
) -> more.InactiveCard:
    """The physical card to activate, if the caller may: b2b any card; a card-style
    caller only its own; an anonymous caller must prove it holds the card with the
    registration code printed on it, wrong guesses counted as for card sign-in."""
    number = req.printedCardNumber
    card = await more.card_row(ctx.uow, ctx.merchant_id, number)
    principal = ctx.principal
    if principal.style == "card" and principal.card_number != number:
        raise ServiceFailure(CARD_NOT_FOUND, "Card not found")
    if principal.style == "anonymous":
        subjects = [f"card:{number}", f"client:{ctx.integration.id}"]
        await oauth.refuse_if_locked(
            ctx.uow, program, subjects, ctx.now, reason=Reason.TOO_MANY_ATTEMPTS
        )
        expected = (card.registration_code or "") if card else ""
        given = req.registrationCode or ""
        if card is None or not hmac.compare_digest(expected.encode(), given.encode()):
            raise ServiceFailure(
                CARD_NOT_FOUND,
                "Card not found",
                intents=(oauth.count_failure(program, subjects, ctx.now, slow=False),),
            )
    if card is None:
        raise ServiceFailure(CARD_NOT_FOUND, "Card not found")
    if card.status != "inactive":
        raise ServiceFailure("enrollment.card_already_active", "Card is already active")
    return card


@endpoint(
    ENROLLMENT,
    "activateAndEdit",
    request=m.ActivateRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "card"),
    activates_card=True,
    summary="Activate an inactive physical card and set its fields without registering",
    errors=(
        "enrollment.card_not_found",
        "enrollment.card_already_active",
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
    ),
)
async def activate_and_edit(ctx: CallContext, req: m.ActivateRequest) -> m.EnrollmentReply:
    """Answers ``success`` with the account. User fields, when sent, must fill the form's
    required fields and are kept on a user without a login; username/password refused."""
    program = ctx.program
    card = await _inactive_card(ctx, program, req)
    template = svc.template_of(program, card.template_code)
    enforce = svc.check_enforce_list(req.enforceUniqueFields)
    store = svc.resolve_store(program, req.activationStoreCode)
    sends_user = isinstance(req.setUserFields, dict) and any(
        k != "style" for k in req.setUserFields
    )
    checked = more.check_form(
        program,
        template.form,
        req.setUserFields,
        req.setAccountFields,
        ctx.now,
        login="refused",
        require=sends_user,
    )
    enrolled = await svc.enroll(
        ctx.uow,
        program,
        where(ctx, store),
        template,
        checked,
        enforce,
        user="if_sent",
        activate=card.number,
    )
    return m.EnrollmentReply(accountId=enrolled.account_id, printedCardNumber=card.number)


@endpoint(
    ENROLLMENT,
    "activateAndRegister",
    request=m.ActivateRequest,
    reply=m.EnrollmentReply,
    styles=("card", "anonymous", "b2b"),
    activates_card=True,
    summary="Activate an inactive physical card, register the guest and sign them in",
    errors=(
        "enrollment.card_not_found",
        "enrollment.card_already_active",
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
    ),
)
async def activate_and_register(ctx: CallContext, req: m.ActivateRequest) -> m.EnrollmentReply:
    """Answers ``success`` with the account and OAuth tokens (as register). Anonymous
    callers send the card's ``registrationCode``."""
    program = ctx.program
    card = await _inactive_card(ctx, program, req)
    template = svc.template_of(program, card.template_code)
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
        activate=card.number,
    )
    return m.EnrollmentReply(
        accountId=enrolled.account_id,
        printedCardNumber=card.number,
        oauthTokens=await tokens_for(ctx, program, enrolled.user, card.number),
    )


def _phone_fields(phone: str) -> dict[str, object]:
    return {"style": "string", "mobilePhone": phone}


@endpoint(
    ENROLLMENT,
    "smsEnroll",
    request=m.SmsEnrollRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Create an account for a mobile phone and text it a link to finish enrolling",
    errors=(
        "enrollment.field_validation",
        "enrollment.uniqueness_conflict",
        "enrollment.invalid_card_template",
    ),
)
async def sms_enroll(ctx: CallContext, req: m.SmsEnrollRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess``; the phone belongs to a user without a login and is
    unique (``uniquenessConflict`` when another user has it). The text carries a one-time
    code in the program's enrollment link; the reply never does."""
    program = ctx.program
    template = svc.template_of(program, req.cardTemplateCode)
    store = svc.resolve_store(program, req.activationStoreCode)
    checked = more.check_form(
        program,
        template.form,
        _phone_fields(req.mobilePhone),
        None,
        ctx.now,
        login="refused",
        require=False,
    )
    enrolled = await svc.enroll(
        ctx.uow, program, where(ctx, store), template, checked, ["mobilePhone"], user="always"
    )
    await more.send_sms_enroll(
        ctx.uow,
        program,
        user_id=enrolled.user,
        account_id=enrolled.account_id,
        phone=str(checked.user["mobilePhone"]),
        now=ctx.now,
    )
    return m.EnrollmentReply(
        result=CARD_CREATED, accountId=enrolled.account_id, printedCardNumber=enrolled.card_number
    )


@endpoint(
    ENROLLMENT,
    "editSmsEnroll",
    request=m.EditSmsEnrollRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Store a mobile phone on an active account and text it the enrollment link",
    errors=(
        "enrollment.field_validation",
        "enrollment.card_not_found",
        "enrollment.card_not_active",
        "invalid_token",
    ),
    scope="account_write",
)
async def edit_sms_enroll(ctx: CallContext, req: m.EditSmsEnrollRequest) -> m.EnrollmentReply:
    """The phone goes on the account's user (a user without a login is made for an
    unregistered account); its uniqueness follows the program's form."""
    program = ctx.program
    ref = await account_by_card(ctx, req.printedCardNumber)
    if ref.status != "active" or ref.card_status != "active":
        raise ServiceFailure("enrollment.card_not_active", "Card is not active")
    template = svc.template_of(program, ref.template_code)
    checked = more.check_form(
        program,
        template.form,
        _phone_fields(req.mobilePhone),
        None,
        ctx.now,
        login="refused",
        require=False,
    )
    user = await ctx.uow.users.of_account(ctx.merchant_id, ref.account_id)
    if user is None:
        await ctx.uow.users.lock_account(ctx.merchant_id, ref.account_id)
        user_id = await svc.register_user(
            ctx.uow, program, template, ref.account_id, checked.user, [], ctx.now
        )
    else:
        await svc.edit_user(ctx.uow, program, template, user, checked.user, [], ctx.now)
        user_id = user.id
    await more.send_sms_enroll(
        ctx.uow,
        program,
        user_id=user_id,
        account_id=ref.account_id,
        phone=str(checked.user["mobilePhone"]),
        now=ctx.now,
    )
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)

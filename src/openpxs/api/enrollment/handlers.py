"""Enrollment Service: the registration forms, and joining a program on a virtual card
or with a login on an active card.

Handlers translate wire objects into use-case calls and outcomes into replies; the
wire layer has already checked credentials, style, merchant and shape.
"""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import CREATING, ENROLLMENT, FIELDS
from openpxs.api.enrollment.replies import CARD_CREATED, enrolled_reply, form_reply
from openpxs.domain.errors import Reason as R
from openpxs.services import enrollment, external_sign_in
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    ENROLLMENT,
    "enrollmentConfig",
    method="GET",
    request=m.ConfigRequest,
    reply=m.EnrollmentConfigReply,
    styles=("anonymous", "b2b"),
    summary="The user and account fields of a program's registration form",
    errors=(R.INVALID_CARD_TEMPLATE,),
)
async def enrollment_config(ctx: CallContext, req: m.ConfigRequest) -> m.EnrollmentConfigReply:
    """Each field with its type, whether it is required, its length limits and label.
    Clients read the ``password`` entry's minLength to build their form."""
    template = enrollment.template_of(ctx.program, req.cardTemplateCode)
    return form_reply(template, login_required=True)


@endpoint(
    ENROLLMENT,
    "eClubEnrollmentConfig",
    method="GET",
    request=m.ConfigRequest,
    reply=m.EnrollmentConfigReply,
    styles=("anonymous", "b2b"),
    summary="The sign-up form of an eClub program",
    errors=(R.INVALID_CARD_TEMPLATE,),
)
async def eclub_config(ctx: CallContext, req: m.ConfigRequest) -> m.EnrollmentConfigReply:
    """As enrollmentConfig, for eClub templates only; username and password are shown as
    not required, since an eClub member need not have a login."""
    template = enrollment.eclub_template(ctx.program, req.cardTemplateCode)
    return form_reply(template, login_required=False)


@endpoint(
    ENROLLMENT,
    "createAndRegister",
    request=m.LinkingCreateRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous",),
    summary="Create a virtual card, register the guest on it and sign them in",
    errors=CREATING,
)
async def create_and_register(ctx: CallContext, req: m.LinkingCreateRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess`` with the new card, account and OAuth tokens;
    ``uniquenessConflict`` when a unique field (always the username) is taken; failure
    with ``errorsByField`` for invalid values. Nothing is created unless all is well.

    ``setAccountFields.externalAccounts`` links accounts of other systems to the new
    account; a Sign in with Apple ID needs ``id_token`` (and ``nonce``) proving it."""
    enrolled = await external_sign_in.sign_up_linked(
        ctx, req.cardTemplateCode, req.activationStoreCode, req.sent(), req.proof(), login=True
    )
    return enrolled_reply(enrolled, CARD_CREATED)


@endpoint(
    ENROLLMENT,
    "createAndRegisterWithCardNumber",
    request=m.CreateWithNumberRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Create a card with the caller's number, register the guest and sign them in",
    errors=(*CREATING, R.CARD_NUMBER_IN_USE),
)
async def create_with_number(ctx: CallContext, req: m.CreateWithNumberRequest) -> m.EnrollmentReply:
    """As createAndRegister (``cardCreatedSuccess`` with OAuth tokens), but the new card
    gets ``printedCardNumber``; a number that exists already is ``card_number_in_use``."""
    enrolled = await external_sign_in.sign_up_linked(
        ctx,
        req.cardTemplateCode,
        req.activationStoreCode,
        req.sent(),
        req.proof(),
        login=True,
        card_number=req.printedCardNumber,
    )
    return enrolled_reply(enrolled, CARD_CREATED)


@endpoint(
    ENROLLMENT,
    "createAndEdit",
    request=m.LinkingCreateRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "anonymous"),
    summary="Create a virtual card and set its fields without registering a user",
    errors=CREATING,
)
async def create_and_edit(ctx: CallContext, req: m.LinkingCreateRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess`` with the new card and account. User fields, when
    sent, must fill the form's required fields and are kept on a user without a login;
    ``username``/``password`` are refused (this call does not register).
    ``setAccountFields.externalAccounts`` as createAndRegister."""
    enrolled = await external_sign_in.sign_up_linked(
        ctx, req.cardTemplateCode, req.activationStoreCode, req.sent(), req.proof(), login=False
    )
    return enrolled_reply(enrolled, CARD_CREATED)


@endpoint(
    ENROLLMENT,
    "createEClubAndRegister",
    request=m.CreateRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Sign a guest up to an email club on a new virtual card",
    errors=CREATING,
)
async def create_eclub(ctx: CallContext, req: m.CreateRequest) -> m.EnrollmentReply:
    """``cardTemplateCode`` must be an eClub template. The form's required fields apply;
    a login (username and password together) is optional, and only with one does the
    reply carry OAuth tokens."""
    enrolled = await enrollment.join_eclub(
        ctx, req.cardTemplateCode, req.activationStoreCode, req.sent()
    )
    return enrolled_reply(enrolled, CARD_CREATED)


@endpoint(
    ENROLLMENT,
    "register",
    request=m.RegisterRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "card", "b2b"),
    summary="Register a guest on an active physical card",
    errors=(*FIELDS, R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE, R.CARD_ALREADY_REGISTERED),
    scope="account_write",
)
async def register(ctx: CallContext, req: m.RegisterRequest) -> m.EnrollmentReply:
    """Creates the user and attaches the card's account (or gives a login to the guest
    the account already knows by fields only); answers with OAuth tokens."""
    return enrolled_reply(await enrollment.register_card(ctx, req.printedCardNumber, req.sent()))

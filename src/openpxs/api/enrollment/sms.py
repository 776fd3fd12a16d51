"""Enrollment Service: a mobile phone texted a link that finishes enrolling."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import CREATING, ENROLLMENT, FIELDS
from openpxs.api.enrollment.replies import CARD_CREATED, enrolled_reply
from openpxs.domain.errors import Reason as R
from openpxs.services import sms_enrollment
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    ENROLLMENT,
    "smsEnroll",
    request=m.SmsEnrollRequest,
    reply=m.EnrollmentReply,
    styles=("anonymous", "b2b"),
    summary="Create an account for a mobile phone and text it a link to finish enrolling",
    errors=CREATING,
)
async def sms_enroll(ctx: CallContext, req: m.SmsEnrollRequest) -> m.EnrollmentReply:
    """Answers ``cardCreatedSuccess``; the phone belongs to a user without a login and is
    unique (``uniquenessConflict`` when another user has it). The text carries a one-time
    code in the program's enrollment link; the reply never does."""
    enrolled = await sms_enrollment.sms_enroll(
        ctx, req.cardTemplateCode, req.activationStoreCode, req.mobilePhone
    )
    return enrolled_reply(enrolled, CARD_CREATED)


@endpoint(
    ENROLLMENT,
    "editSmsEnroll",
    request=m.EditSmsEnrollRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Store a mobile phone on an active account and text it the enrollment link",
    errors=(*FIELDS, R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE),
    scope="account_write",
)
async def edit_sms_enroll(ctx: CallContext, req: m.EditSmsEnrollRequest) -> m.EnrollmentReply:
    """The phone goes on the account's user (a user without a login is made for an
    unregistered account); its uniqueness follows the program's form."""
    ref = await sms_enrollment.edit_sms_enroll(ctx, req.printedCardNumber, req.mobilePhone)
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)

"""Enrollment Service: joining a program on an inactive physical card the guest holds."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ACTIVATING, ENROLLMENT
from openpxs.api.enrollment.replies import enrolled_reply
from openpxs.services import enrollment
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


async def _activate(ctx: CallContext, req: m.ActivateRequest, *, login: bool) -> m.EnrollmentReply:
    enrolled = await enrollment.activate_card(
        ctx,
        req.printedCardNumber,
        req.registrationCode,
        req.activationStoreCode,
        req.sent(),
        login=login,
    )
    return enrolled_reply(enrolled)


@endpoint(
    ENROLLMENT,
    "activateAndEdit",
    request=m.ActivateRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "card"),
    activates_card=True,
    summary="Activate an inactive physical card and set its fields without registering",
    errors=ACTIVATING,
)
async def activate_and_edit(ctx: CallContext, req: m.ActivateRequest) -> m.EnrollmentReply:
    """Answers ``success`` with the account. User fields, when sent, must fill the form's
    required fields and are kept on a user without a login; username/password refused."""
    return await _activate(ctx, req, login=False)


@endpoint(
    ENROLLMENT,
    "activateAndRegister",
    request=m.ActivateRequest,
    reply=m.EnrollmentReply,
    styles=("card", "anonymous", "b2b"),
    activates_card=True,
    summary="Activate an inactive physical card, register the guest and sign them in",
    errors=ACTIVATING,
)
async def activate_and_register(ctx: CallContext, req: m.ActivateRequest) -> m.EnrollmentReply:
    """Answers ``success`` with the account and OAuth tokens (as register). Anonymous
    callers send the card's ``registrationCode``; wrong guesses count against the card
    and the integration, as card sign-ins do."""
    return await _activate(ctx, req, login=True)

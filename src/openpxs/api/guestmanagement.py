"""Guest Management Service (guestmanagement.yaml): password reset by e-mailed code.

generateAndSendGuestResetPasswordCode and sendGuestResetPasswordCode start a reset;
resetPassword (inferred: no completion endpoint was documented) finishes it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.common import GuestRequest
from openpxs.services import password_reset
from openpxs.services.password_reset import Identifier
from openpxs.wire.context import CallContext
from openpxs.wire.envelope import invalid_request
from openpxs.wire.refusals import legacy
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import FlexLong, FlexStr, ReplyModel, WireModel

GUEST_MANAGEMENT = Service(
    name="guestmanagement",
    title="Guest Management Service",
    success="success",
    refusals=legacy(
        "guestmanagement",
        {
            "system_error": "System error",
            "multiple_identifiers": (
                "Only one of username, accountId, printedCardNumber or email may be provided"
            ),
            "no_identifier": "One of username, accountId, printedCardNumber or email is required",
            "user_not_found": "User not found",
            "no_email_address": "User has no email address",
            "too_many_attempts": "Too many failed attempts",
        },
    ),
)
START_ERRORS = ("multiple_identifiers", "no_identifier", "user_not_found", "no_email_address")
Text = FlexStr | None


class UserIdentity(WireModel):
    printedCardNumber: Text = Field(default=None, max_length=64)
    username: Text = Field(default=None, max_length=254)
    email: Text = Field(default=None, max_length=254)
    accountId: FlexLong | None = None

    def identifiers(self) -> list[Identifier]:
        """The identifiers given; an empty string counts as absent, like null."""
        given: list[Identifier] = []
        for name in password_reset.IDENTIFIERS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.strip()
            if value is not None and value != "":
                given.append(Identifier(name, value))
        return given


class StartResetRequest(GuestRequest, UserIdentity):
    # The older shape of sendGuestResetPasswordCode carries the identifier in here.
    userIdentity: UserIdentity | None = None

    def all_identifiers(self) -> list[Identifier]:
        nested = self.userIdentity.identifiers() if self.userIdentity is not None else []
        return self.identifiers() + nested


class SendResetRequest(StartResetRequest):
    resetCode: Text = Field(default=None, max_length=64)


class ResetReply(ReplyModel):
    result: Literal["success"] = "success"
    email: str


async def _start(ctx: CallContext, req: StartResetRequest, code: str | None) -> ResetReply:
    identifier = password_reset.one_identifier(req.all_identifiers())
    program = ctx.program
    user = await password_reset.find_user(ctx.uow, ctx.merchant_id, identifier)
    email = await password_reset.start_reset(ctx.uow, program, user, ctx.now, code)
    return ResetReply(email=email)


@endpoint(
    GUEST_MANAGEMENT,
    "generateAndSendGuestResetPasswordCode",
    request=StartResetRequest,
    reply=ResetReply,
    styles=("anonymous", "b2b"),
    summary="E-mail the guest a reset code and link",
    errors=START_ERRORS,
)
async def generate_and_send_guest_reset_password_code(
    ctx: CallContext, req: StartResetRequest
) -> ResetReply:
    """Exactly one of printedCardNumber, username, email or accountId names the guest.
    The e-mail carries a one-use code, valid for the program's reset_code_minutes (30 by
    default), and a link with it; the reply names the address written to. The password
    is unchanged until guestmanagement/resetPassword.json is called with the code."""
    return await _start(ctx, req, None)


@endpoint(
    GUEST_MANAGEMENT,
    "sendGuestResetPasswordCode",
    request=SendResetRequest,
    reply=ResetReply,
    styles=("anonymous", "b2b"),
    summary="Start a reset with the caller's own reset code (or a generated one)",
    errors=(*START_ERRORS, "invalid_request"),
)
async def send_guest_reset_password_code(ctx: CallContext, req: SendResetRequest) -> ResetReply:
    """For a third party that completes resets itself: the identifier may also come inside
    userIdentity (older shape), and resetCode, when given, is the code put in the e-mail
    (8 to 64 letters, digits, '-' or '_', since it travels in a link and is the only proof
    at completion). Only a b2b caller may choose the code; otherwise one is generated."""
    code = req.resetCode.strip() if req.resetCode else None
    if code and ctx.principal.style != "b2b":
        # An app's credential is public (it ships inside the app): a code it chose would
        # let anyone complete the reset of any guest with resetPassword.
        raise invalid_request(
            GUEST_MANAGEMENT, "Invalid request: only a b2b caller may choose the resetCode"
        )
    if code and not password_reset.valid_caller_code(code):
        raise invalid_request(
            GUEST_MANAGEMENT,
            "Invalid request: resetCode must be 8 to 64 letters, digits, '-' or '_'",
        )
    return await _start(ctx, req, code or None)


class ResetPasswordRequest(GuestRequest):
    resetCode: FlexStr = Field(min_length=1, max_length=200)
    # Longer than any form allows, so an overlong password gets the form's message.
    newPassword: FlexStr = Field(max_length=1024)


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"


@endpoint(
    GUEST_MANAGEMENT,
    "resetPassword",
    request=ResetPasswordRequest,
    reply=SimpleReply,
    styles=("anonymous", "b2b"),
    summary="Set a new password with an e-mailed reset code (inferred endpoint)",
    errors=("invalid_reset_code", "field_validation", "too_many_attempts"),
)
async def reset_password(ctx: CallContext, req: ResetPasswordRequest) -> SimpleReply:
    """The code works once. The new password must meet the length rules of the guest's
    card template form (errorsByField.newPassword lists the problems). Every sign-in of the
    guest ends, and a lock from failed sign-ins is lifted. Wrong codes are counted per
    integration; past the limit the call answers too_many_attempts for a while."""
    program = ctx.program
    await password_reset.complete_reset(
        ctx.uow, program, ctx.integration, req.resetCode, req.newPassword, ctx.now
    )
    return SimpleReply()

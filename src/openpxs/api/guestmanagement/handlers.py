"""Guest Management Service (guestmanagement.yaml): password reset by e-mailed code.

generateAndSendGuestResetPasswordCode and sendGuestResetPasswordCode start a reset;
resetPassword (inferred: no completion endpoint was documented) finishes it.
"""

from __future__ import annotations

from openpxs.api.guestmanagement import models as m
from openpxs.api.guestmanagement.errors import GUEST_FACING, GUEST_MANAGEMENT, START_REFUSALS
from openpxs.domain.errors import Reason as R
from openpxs.services import password_reset
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    GUEST_MANAGEMENT,
    "generateAndSendGuestResetPasswordCode",
    request=m.StartResetRequest,
    reply=m.ResetReply,
    styles=GUEST_FACING,
    summary="E-mail the guest a reset code and link",
    errors=START_REFUSALS,
)
async def generate_and_send_guest_reset_password_code(
    ctx: CallContext, req: m.StartResetRequest
) -> m.ResetReply:
    """Exactly one of printedCardNumber, username, email or accountId names the guest.
    The e-mail carries a one-use code, valid for the program's reset_code_minutes (30 by
    default), and a link with it. The password is unchanged until
    guestmanagement/resetPassword.json is called with the code. A b2b caller is told the
    address written to, or why nothing was sent. With the app's credential the reply is
    success whether or not the guest exists or has an address (the address masked,
    "d***@example.com", when the guest was named by it, else none), and an address that
    asked for too many resets lately answers too_many_attempts. A guest gets at most a
    few reset e-mails an hour; past that the code already sent stays valid."""
    return m.ResetReply(email=await password_reset.request_reset(ctx, req.all_identifiers()))


@endpoint(
    GUEST_MANAGEMENT,
    "sendGuestResetPasswordCode",
    request=m.SendResetRequest,
    reply=m.ResetReply,
    styles=GUEST_FACING,
    summary="Start a reset with the caller's own reset code (or a generated one)",
    errors=START_REFUSALS,
)
async def send_guest_reset_password_code(ctx: CallContext, req: m.SendResetRequest) -> m.ResetReply:
    """For a third party that completes resets itself: the identifier may also come inside
    userIdentity (older shape), and resetCode, when given, is the code put in the e-mail
    (8 to 64 letters, digits, '-' or '_', since it travels in a link and is the only proof
    at completion). Only a b2b caller may choose the code; otherwise one is generated.
    Replies and limits as generateAndSendGuestResetPasswordCode."""
    code = req.resetCode.strip() if req.resetCode else None
    email = await password_reset.request_reset(ctx, req.all_identifiers(), code or None)
    return m.ResetReply(email=email)


@endpoint(
    GUEST_MANAGEMENT,
    "resetPassword",
    request=m.ResetPasswordRequest,
    reply=m.SimpleReply,
    styles=GUEST_FACING,
    summary="Set a new password with an e-mailed reset code (inferred endpoint)",
    errors=(R.INVALID_RESET_CODE, R.FIELD_VALIDATION, R.TOO_MANY_ATTEMPTS),
)
async def reset_password(ctx: CallContext, req: m.ResetPasswordRequest) -> m.SimpleReply:
    """The code works once. The new password must meet the length rules of the guest's
    card template form (errorsByField.newPassword lists the problems). Every sign-in of the
    guest ends, and a lock from failed sign-ins is lifted. Wrong codes are counted per
    client address; past the limit the address is answered too_many_attempts for a
    while."""
    await password_reset.complete_reset(ctx, req.resetCode, req.newPassword)
    return m.SimpleReply()

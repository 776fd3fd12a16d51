"""One Time Password Service (onetimepassword.yaml): sign-in codes texted to guests.

The code is redeemed with the OAuth Service: requestGuestToken with
grant_type=one_time_password, mobilePhone and one_time_password.
"""

from __future__ import annotations

from openpxs.api.onetimepassword import models as m
from openpxs.api.onetimepassword.errors import GUEST_FACING, ONE_TIME_PASSWORD
from openpxs.domain.errors import Reason as R
from openpxs.services import one_time_password
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    ONE_TIME_PASSWORD,
    "isOTPEnabled",
    method="GET",
    request=m.EnabledRequest,
    reply=m.EnabledReply,
    styles=GUEST_FACING,
    summary="Say whether sign-in by a texted one-time password is offered",
)
async def is_otp_enabled(ctx: CallContext, req: m.EnabledRequest) -> m.EnabledReply:
    """Lets an app decide whether to show its "text me a code" sign-in screen."""
    return m.EnabledReply(enabled=one_time_password.is_enabled(ctx.program))


@endpoint(
    ONE_TIME_PASSWORD,
    "generateAndSendSMSOTP",
    request=m.SendRequest,
    reply=m.SimpleReply,
    styles=GUEST_FACING,
    summary="Text a one-time sign-in code to the guest with this mobile number",
    errors=(R.FEATURE_DISABLED, R.DUPLICATE_PHONE_NUMBERS, R.TOO_MANY_ATTEMPTS),
)
async def generate_and_send_sms_otp(ctx: CallContext, req: m.SendRequest) -> m.SimpleReply:
    """A six-digit code, valid for the program's configured minutes (10 by default) and
    five tries. The reply is success whether or not a guest has this number, so it does
    not tell which numbers are enrolled; several guests sharing the number is refused
    with duplicate_phone_numbers. A number gets at most a few codes an hour (more asks
    are answered alike and send nothing), and an address that asked for too many codes
    lately is refused with too_many_attempts."""
    await one_time_password.send_sms_code(
        ctx.uow, ctx.program, req.mobilePhone, ctx.now, ctx.guesser
    )
    return m.SimpleReply()

"""One Time Password Service (onetimepassword.yaml): sign-in codes texted to guests.

The code is redeemed with the OAuth Service: requestGuestToken with
grant_type=one_time_password, mobilePhone and one_time_password.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openpxs.api.common import GuestRequest
from openpxs.services import one_time_password
from openpxs.wire.context import CallContext
from openpxs.wire.refusals import legacy
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel

ONE_TIME_PASSWORD = Service(
    name="onetimepassword",
    title="One Time Password Service",
    success="success",
    refusals=legacy(
        "one_time_password",
        {
            "system_error": "System error",
            "feature_disabled": "SMS OTP feature not enabled for this merchant",
            "duplicate_phone_numbers": "Multiple users were found with this phone number",
        },
    ),
)


class EnabledRequest(GuestRequest):
    pass


class EnabledReply(ReplyModel):
    result: Literal["success"] = "success"
    enabled: bool


@endpoint(
    ONE_TIME_PASSWORD,
    "isOTPEnabled",
    method="GET",
    request=EnabledRequest,
    reply=EnabledReply,
    styles=("anonymous", "b2b"),
    summary="Say whether sign-in by a texted one-time password is offered",
)
async def is_otp_enabled(ctx: CallContext, req: EnabledRequest) -> EnabledReply:
    """Lets an app decide whether to show its "text me a code" sign-in screen."""
    program = ctx.program
    return EnabledReply(enabled=one_time_password.is_enabled(program))


class SendRequest(WireModel):
    authentication: str | None = None
    # Documented as a query parameter of this POST; the body may carry it too. The
    # integration's credentials name the merchant either way, so a body without it is
    # served for that merchant; a body naming another merchant is refused.
    merchantId: FlexInt | None = None
    mobilePhone: FlexStr = Field(max_length=32)

    def claimed_merchant_id(self) -> int | None:
        return self.merchantId


class SimpleReply(ReplyModel):
    result: Literal["success"] = "success"


@endpoint(
    ONE_TIME_PASSWORD,
    "generateAndSendSMSOTP",
    request=SendRequest,
    reply=SimpleReply,
    styles=("anonymous", "b2b"),
    summary="Text a one-time sign-in code to the guest with this mobile number",
    errors=("feature_disabled", "duplicate_phone_numbers", "invalid_request"),
)
async def generate_and_send_sms_otp(ctx: CallContext, req: SendRequest) -> SimpleReply:
    """A six-digit code, valid for the program's configured minutes (10 by default) and
    five tries. The reply is success whether or not a guest has this number, so it does
    not tell which numbers are enrolled; several guests sharing the number is refused
    with duplicate_phone_numbers."""
    program = ctx.program
    await one_time_password.send_sms_code(ctx.uow, program, req.mobilePhone, ctx.now)
    return SimpleReply()

"""The One Time Password Service, and how it answers each refusal.

The documented codes are ``one_time_password.*``, not ``onetimepassword.*``
(onetimepassword.yaml). A wrong code is answered by the OAuth Service, which redeems it.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import TOO_MANY, WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "one_time_password",
    {
        Reason.SYSTEM_ERROR: "System error",
        Reason.FEATURE_DISABLED: "SMS OTP feature not enabled for this merchant",
        Reason.DUPLICATE_PHONE_NUMBERS: "Multiple users were found with this phone number",
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
    },
    # Inferred (the documented codes have none): an address that asked for too many codes.
    special={
        Reason.TOO_MANY_ATTEMPTS: WireError(
            "one_time_password.too_many_attempts", TOO_MANY, joiner="; "
        ),
    },
)
ONE_TIME_PASSWORD = Service(
    name="onetimepassword",
    title="One Time Password Service",
    success="success",
    refusals=REFUSALS,
)
GUEST_FACING = ("anonymous", "b2b")

"""The Apple Passbook Service, and how it answers each refusal (applepassbook.yaml errors).

The service documents one code: every refusal - an unknown card, a card of another
guest, a merchant without Apple Wallet passes, a request that cannot be read - answers
applepassbook.system_error, with the reason after its message.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

SYSTEM_ERROR = WireError("applepassbook.system_error", "Unable to provide passbook download url")

REFUSALS = table(
    "applepassbook",
    {},
    special={
        Reason.SYSTEM_ERROR: SYSTEM_ERROR,
        Reason.CARD_NOT_FOUND: SYSTEM_ERROR,
        Reason.INVALID_REQUEST: SYSTEM_ERROR,
        Reason.INVALID_MERCHANT: SYSTEM_ERROR,
    },
)

APPLEPASSBOOK = Service(
    name="applepassbook", title="Apple Passbook Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")

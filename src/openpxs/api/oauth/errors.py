"""The OAuth Service, and how it answers each refusal.

OAuth codes carry no prefix (errors.yaml): invalid_grant, invalid_scope,
unsupported_grant_type, insufficient_scope, invalid_token. Where a code has several
messages (invalid_grant for a refresh token and for an authorization grant), the
refusal's detail is the whole message and the table's message is the one used without
one. The codes any operation may answer (a request that cannot be read, another
merchant) keep the service's prefix, oauth.invalid_request, as they always have.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import SIGN_IN, WireError, table
from openpxs.wire.registry import Service

REFUSALS = table(
    "oauth",
    {
        Reason.INVALID_REQUEST: "Invalid request",
        Reason.INVALID_MERCHANT: "Invalid merchant",
        Reason.SYSTEM_ERROR: "System error",
    },
    special={
        # A password or token answers here as the authentication styles do everywhere.
        Reason.COULD_NOT_AUTHENTICATE: SIGN_IN[Reason.COULD_NOT_AUTHENTICATE],
        Reason.ACCOUNT_LOCKED: SIGN_IN[Reason.ACCOUNT_LOCKED],
        Reason.INVALID_TOKEN: SIGN_IN[Reason.INVALID_TOKEN],
        Reason.INVALID_GRANT: WireError(
            "invalid_grant", "The supplied credentials were not valid.", joiner=None
        ),
        # A texted one-time password that is wrong, used or expired.
        Reason.INVALID_VERIFICATION_CODE: WireError(
            "invalid_grant", "The one-time password is not valid."
        ),
        # The Apple grant's identity token holds but names an Apple ID linked to no
        # guest: the app enrols the guest with it (enrollment/createAndRegister.json).
        Reason.EXTERNAL_ACCOUNT_NOT_FOUND: WireError(
            "no_matching_guests", "No matching guests", joiner=None
        ),
        Reason.INVALID_SCOPE: WireError("invalid_scope", "Invalid scope", joiner=None),
        # requestAuthorizationGrant asking beyond its token answers 200, unlike the 403
        # of a token lacking an endpoint's scope (wire.dispatch).
        Reason.INSUFFICIENT_SCOPE: WireError(
            "insufficient_scope", "A grant cannot be wider than the token"
        ),
        Reason.UNSUPPORTED_GRANT_TYPE: WireError(
            "unsupported_grant_type", "Unsupported grant_type", joiner=None
        ),
        # The one feature a merchant may switch off here: sign-in by one-time password.
        Reason.FEATURE_DISABLED: WireError(
            "unsupported_grant_type", "Sign-in by one-time password is not enabled"
        ),
    },
)
OAUTH = Service(name="oauth", title="OAuth Service", success="success", refusals=REFUSALS)

"""The Social Group Service, and how it answers each refusal (socialgroup.yaml errors).

The codes carry the prefix social_group. (with an underscore, unlike the URL segment).
A join request that is not there answers request_lookup_error, as the spec lists for
acceptRequest, rejectRequest and cancelRequest; an unknown cardTemplateCode answers
template_not_found.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import TOO_MANY, WireError, table
from openpxs.wire.registry import Service

R = Reason
PREFIX = "social_group"

REFUSALS = table(
    PREFIX,
    {
        R.SYSTEM_ERROR: "System error",
        # Not in socialgroup.yaml: a merchantId that is missing or not a number, a
        # missing or malformed member (a blank name, more than 100 identifiers).
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
        R.USER_NOT_FOUND: "User not found",
        R.EXTERNAL_IDENTIFIER_NOT_ALLOWED: "Not permitted to search by external identifier",
        R.GROUP_NOT_FOUND: "Group not found",
        R.INVITATION_NOT_FOUND: "Invitation not found",
        R.MAX_MEMBERS: "Group contains maximum number of members",
        R.MAX_INVITATIONS: "Group contains maximum number of invitations",
        R.ALREADY_IN_GROUP: "Already a member of group",
        R.ALREADY_HAVE_REQUEST: "Already have a request to join group",
        R.ALREADY_HAVE_INVITE: "Already have an invitation to join group",
        R.GROUP_CONFIG_NOT_FOUND: "Group configuration not found",
        R.MAX_GROUPS: "Request would exceed the maximum group memberships",
        R.MAX_REQUESTS: "Request would exceed the maximum group requests",
        R.MAX_CREATE: "User cannot create any more groups",
        R.EXT_ACCT_NOT_IN_GROUP: "Member with given external account is not in group",
        R.EMAIL_NOT_IN_GROUP: "Member with given email address is not in group",
        R.INVALID_INVITATION_CODE: "Invalid invitation code",
        R.NOT_AUTHORIZED: "Not permitted to manage group",
        R.INVALID_ROLE: "Invalid role",
    },
    special={
        R.INVALID_CARD_TEMPLATE: WireError(
            f"{PREFIX}.template_not_found", "Card Template not found"
        ),
        R.JOIN_REQUEST_NOT_FOUND: WireError(
            f"{PREFIX}.request_lookup_error", "Unable to get group request"
        ),
        R.NOT_GROUP_MEMBER: WireError(f"{PREFIX}.not_member", "Not a member of group"),
        # Not in socialgroup.yaml: wrong invitation codes, too many of them.
        R.TOO_MANY_ATTEMPTS: WireError(f"{PREFIX}.too_many_attempts", TOO_MANY, joiner="; "),
    },
)
SOCIALGROUP = Service(
    name="socialgroup", title="Social Group Service", success="success", refusals=REFUSALS
)
STYLES = ("b2b", "oauth")

USER = (R.USER_NOT_FOUND, R.INVALID_REQUEST)
JOIN = (
    *USER,
    R.GROUP_NOT_FOUND,
    R.ALREADY_IN_GROUP,
    R.ALREADY_HAVE_REQUEST,
    R.ALREADY_HAVE_INVITE,
    R.MAX_REQUESTS,
    R.MAX_GROUPS,
    R.MAX_MEMBERS,
    R.GROUP_CONFIG_NOT_FOUND,
)
INVITE = (
    *USER,
    R.GROUP_NOT_FOUND,
    R.NOT_GROUP_MEMBER,
    R.ALREADY_IN_GROUP,
    R.ALREADY_HAVE_INVITE,
    R.ALREADY_HAVE_REQUEST,
    R.MAX_INVITATIONS,
    R.MAX_MEMBERS,
    R.GROUP_CONFIG_NOT_FOUND,
)
CODE = (R.INVITATION_NOT_FOUND, R.INVALID_INVITATION_CODE, R.TOO_MANY_ATTEMPTS)

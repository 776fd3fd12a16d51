"""Enrollment Service: changing the user and account fields of an enrolled guest."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT, FIELDS
from openpxs.domain.errors import Reason as R
from openpxs.services import account_edits
from openpxs.services.account_edits import Changed
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _reply(changed: Changed) -> m.EnrollmentReply:
    return m.EnrollmentReply(accountId=changed.account_id, printedCardNumber=changed.card_number)


@endpoint(
    ENROLLMENT,
    "editAccount",
    request=m.CardRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b", "card", "guest"),
    summary="Change any mix of user and account fields",
    errors=(*FIELDS, R.CARD_NOT_FOUND, R.CARD_NOT_REGISTERED),
    scope="account_write",
)
async def edit_account(ctx: CallContext, req: m.CardRequest) -> m.EnrollmentReply:
    """Only the fields sent change (null clears one); at least one field must be sent.
    The username and password may change too; the username stays unique."""
    return _reply(await account_edits.edit_account(ctx, req.printedCardNumber, req.sent()))


@endpoint(
    ENROLLMENT,
    "editUser",
    request=m.EditUserRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "guest", "b2b"),
    summary="Change user-level fields",
    errors=(*FIELDS, R.USER_NOT_FOUND),
    scope="user_write",
)
async def edit_user(ctx: CallContext, req: m.EditUserRequest) -> m.EnrollmentReply:
    """As editAccount's user part: only the fields sent change (null clears one), checked
    against the form of the user's account; the username stays unique."""
    changed = await account_edits.edit_user_fields(
        ctx, req.username, req.setUserFields, req.enforceUniqueFields
    )
    return _reply(changed)


@endpoint(
    ENROLLMENT,
    "editEClubAccount",
    request=m.EClubEditRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Change the user or account fields of an eClub member",
    errors=(*FIELDS, R.CARD_NOT_FOUND, R.USER_NOT_FOUND),
    scope="account_write",
)
async def edit_eclub(ctx: CallContext, req: m.EClubEditRequest) -> m.EnrollmentReply:
    """As editAccount for an account of an eClub template (others are
    ``invalid_card_template``), named by its card or the member's e-mail; the member may
    add a login here."""
    changed = await account_edits.edit_eclub(ctx, req.printedCardNumber, req.email, req.sent())
    return _reply(changed)

"""Enrollment Service: the user record - deleting a user, verifying their e-mail."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT
from openpxs.domain.errors import Reason as R
from openpxs.services import email_verification, user_deletion
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    ENROLLMENT,
    "user",
    method="DELETE",
    request=m.UserRequest,
    reply=m.SimpleReply,
    styles=("b2b", "oauth"),
    summary="Delete a user; their accounts stay, unregistered, with their balances",
    errors=(R.USER_NOT_FOUND,),
    scope="user_write",
)
async def delete_user(ctx: CallContext, req: m.UserRequest) -> m.SimpleReply:
    """b2b names the ``username``; an OAuth guest deletes themself (username optional).
    Every sign-in of the user ends and their secondary addresses are deleted."""
    await user_deletion.delete_user(ctx, req.username)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "userByPrintedCardNumber",
    method="DELETE",
    request=m.CardOnlyRequest,
    reply=m.SimpleReply,
    styles=("b2b", "oauth"),
    summary="Delete the user who owns a card's account",
    errors=(R.CARD_NOT_FOUND, R.USER_NOT_FOUND),
    scope="user_write",
)
async def delete_user_by_card(ctx: CallContext, req: m.CardOnlyRequest) -> m.SimpleReply:
    """``user_info.not_found`` when the card's account has no user."""
    await user_deletion.delete_owner_of_card(ctx, req.printedCardNumber)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "sendEmailVerificationChallenge",
    request=m.UserRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="E-mail the user a one-time code that verifies their address",
    errors=(R.USER_NOT_FOUND, R.NO_EMAIL_ADDRESS, R.EMAIL_ALREADY_VERIFIED),
    scope="user_write",
)
async def send_email_challenge(ctx: CallContext, req: m.UserRequest) -> m.SimpleReply:
    """A new challenge replaces the user's earlier unused code."""
    await email_verification.send_challenge(ctx, req.username)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "completeEmailVerification",
    request=m.CompleteVerificationRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b", "anonymous"),
    summary="Check the e-mailed code and mark the user's e-mail address verified",
    errors=(R.INVALID_VERIFICATION_CODE, R.TOO_MANY_ATTEMPTS),
)
async def complete_email_verification(
    ctx: CallContext, req: m.CompleteVerificationRequest
) -> m.SimpleReply:
    """An OAuth guest's code must be their own, and five wrong codes wear it out. A code
    sent without a guest (an e-mailed link) is accepted for whomever it was issued to;
    those guesses count against the integration, as card-number guesses do."""
    await email_verification.complete(ctx, req.verificationCode)
    return m.SimpleReply()

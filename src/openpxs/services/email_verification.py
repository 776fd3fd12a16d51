"""Verifying a guest's e-mail address with a one-time code sent to it."""

from __future__ import annotations

from openpxs.domain.errors import Reason, Refused
from openpxs.services import guessing
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.services.guest_codes import EMAIL_VERIFICATION, send_code, wrong_code


async def send_challenge(call: Call, username: str | None) -> None:
    """E-mail the user a code; a new one replaces their earlier unused code."""
    user = await user_for(call, username)
    if not user.email:
        raise Refused(Reason.NO_EMAIL_ADDRESS)
    if user.email_verified:
        raise Refused(Reason.EMAIL_ALREADY_VERIFIED)
    await send_code(
        call.uow,
        call.program,
        purpose=EMAIL_VERIFICATION,
        user=user,
        channel="email",
        recipient=user.email,
        subject="Verify your e-mail address",
        what="verify your e-mail address",
        now=call.now,
    )


async def complete(call: Call, code: str) -> None:
    """Mark the address the code was sent to verified.

    A guest's code must be their own, and wrong codes wear it out. A code sent without a
    guest (an e-mailed link) is accepted for whomever it was issued to; those guesses
    are counted like card-number guesses (per address, and against a budget for all).
    """
    uow, program, principal = call.uow, call.program, call.principal
    user_id = principal.user_id if principal.is_guest else None
    guess = None
    if not principal.is_guest:
        guess = guessing.code_guess(EMAIL_VERIFICATION, shared=False, budget=EMAIL_VERIFICATION)
        await guessing.refuse_while_backing_off(uow, program, guess, call.guesser, call.now)
    used = await uow.codes.use(
        merchant_id=call.merchant_id,
        purpose=EMAIL_VERIFICATION,
        code=code,
        now=call.now,
        user_id=user_id,
    )
    user = (
        await uow.users.by_id(call.merchant_id, used.user_id)
        if used is not None and used.user_id is not None
        else None
    )
    # The address must still be the one the code went to: a changed e-mail needs a new code.
    if user is None or used is None or (user.email or "") != (used.target or ""):
        raise Refused(
            Reason.INVALID_VERIFICATION_CODE,
            intents=wrong_code(program, EMAIL_VERIFICATION, user_id, guess, call.guesser, call.now),
        )
    await uow.users.set_columns(call.merchant_id, user.id, email_verified=True)

"""One-time codes a guest is sent to prove they control an address (e-mail verification,
automatic combine), and what a wrong one leaves behind."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from openpxs.domain.intents import Intent, WearOutCodes
from openpxs.domain.program import Program
from openpxs.messaging.outbox import enqueue
from openpxs.services import guessing
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

EMAIL_VERIFICATION = "email_verification"
AUTOMATIC_COMBINE = "automatic_combine"


async def send_code(
    uow: UnitOfWork,
    program: Program,
    *,
    purpose: str,
    user: User,
    channel: Literal["email", "sms"],
    recipient: str,
    subject: str,
    what: str,
    now: datetime,
) -> None:
    """Issue a code for ``purpose`` (replacing the user's unused one) and send it; the
    code is in the message body only, never in a reply or a log."""
    minutes = program.guest.messages.verification_code_minutes
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=purpose,
        now=now,
        lifetime=timedelta(minutes=minutes),
        user_id=user.id,
        account_id=user.account_id,
        target=recipient,
    )
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel=channel,
        recipient=recipient,
        subject=subject if channel == "email" else None,
        body=f"{program.name}: your code to {what} is {code}. It is valid for {minutes} minutes.",
        now=now,
    )


def wrong_code(
    program: Program,
    purpose: str,
    user_id: int | None,
    guess: guessing.Guess | None,
    source: str | None,
    now: datetime,
) -> tuple[Intent, ...]:
    """What a refused code leaves behind once its call rolls back: the guest's live codes
    worn out, and the guess counted (``services.guessing``)."""
    intents: list[Intent] = []
    if user_id is not None:
        intents.append(WearOutCodes(program.merchant_id, purpose, now, user_id=user_id))
    if guess is not None:
        intents.append(guessing.missed(program, guess, source, now, slow=False))
    return tuple(intents)

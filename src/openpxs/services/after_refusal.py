"""Carrying out what a refusal asked for once its call has rolled back.

See ``domain.intents``: a refused sign-in is counted, a wrong code wears out the codes
it guessed at, a replayed refresh token ends its sign-in. Runs in a unit of work of its
own, opened by the dispatcher after the refused call's transaction is gone.
"""

from __future__ import annotations

from openpxs.domain.intents import (
    AuditFailedSignIn,
    CountFailures,
    EndSignIn,
    Intent,
    WearOutCodes,
)
from openpxs.store.uow import UnitOfWork

# Each failure already in the window answers this much later, up to the cap.
SLOWDOWN_PER_FAILURE = 0.05
SLOWDOWN_CAP = 1.0


async def carry_out(uow: UnitOfWork, intents: tuple[Intent, ...]) -> float:
    """Do what the intents ask; the seconds the refusal's reply should wait."""
    delay = 0.0
    for intent in intents:
        if isinstance(intent, CountFailures):
            worst = 0
            for limit in intent.limits:
                counted = await uow.failures.record_failure(
                    intent.merchant_id,
                    limit.subject,
                    intent.now,
                    free=limit.free,
                    first_backoff=limit.first_backoff,
                    longest=limit.longest,
                    window=intent.window,
                )
                if limit.slows:
                    worst = max(worst, counted)
            if intent.slow:
                delay = max(delay, min(SLOWDOWN_PER_FAILURE * worst, SLOWDOWN_CAP))
        elif isinstance(intent, WearOutCodes):
            await uow.codes.count_wrong_guess(
                merchant_id=intent.merchant_id,
                purpose=intent.purpose,
                now=intent.now,
                target=intent.target,
                user_id=intent.user_id,
            )
        elif isinstance(intent, EndSignIn):
            await uow.tokens.revoke_family(intent.merchant_id, intent.family, intent.now)
        elif isinstance(intent, AuditFailedSignIn):
            operator = await uow.operators.by_id(intent.merchant_id, intent.operator_id)
            if operator is not None:
                after = {"source": intent.source}
                await uow.operators.audit(
                    operator, intent.now, "sign_in_failed", None, None, after, None
                )
    return delay

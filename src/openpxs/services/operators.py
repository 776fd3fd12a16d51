"""Operators of the console: adding, listing and disabling them, and their sign-in.

A sign-in is held to the same limits as a guest's (``services.guessing``): wrong
passwords and wrong second-factor codes are counted against the e-mail from the
address that tried, from every address, and against the address itself; the reply
never says which part was wrong nor whether the e-mail is an operator's. The session
it starts is a random token the browser holds; the server keeps only its digest.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.intents import AuditFailedSignIn, Intent
from openpxs.domain.operators import (
    Operator,
    Role,
    check_password_rule,
    needs_second_factor,
    new_totp_secret,
    normalise_email,
    totp_matches,
)
from openpxs.domain.program import Program
from openpxs.security import (
    check_password_off_loop,
    decoy_hash,
    hash_password_off_loop,
)
from openpxs.services import guessing
from openpxs.store.repositories.operators import OperatorExists
from openpxs.store.uow import UnitOfWork

# A console session lasts a working day; signing in again starts a new one.
SESSION_HOURS = 10


@dataclass(frozen=True)
class NewOperator:
    operator: Operator
    # The TOTP secret when one was made, to show once.
    totp_secret: str | None


async def add_operator(
    uow: UnitOfWork,
    merchant_id: int,
    email: str,
    password: str,
    role: Role,
    now: datetime,
    *,
    with_totp: bool = False,
) -> NewOperator:
    address = normalise_email(email)
    check_password_rule(password)
    await uow.programs.load(merchant_id)  # refuses a merchant that does not exist
    secret = new_totp_secret() if with_totp else None
    digest = await hash_password_off_loop(password)
    try:
        operator = await uow.operators.add(merchant_id, address, digest, role, secret, now)
    except OperatorExists:
        raise Refused(Reason.UNIQUENESS_CONFLICT, f"{address} is already an operator") from None
    return NewOperator(operator, secret)


async def ensure_operator(
    uow: UnitOfWork, merchant_id: int, email: str, password: str, role: Role, now: datetime
) -> bool:
    """Add the operator unless the e-mail is one already (the demo); True when added."""
    if await uow.operators.by_email(merchant_id, normalise_email(email)) is not None:
        return False
    await add_operator(uow, merchant_id, email, password, role, now)
    return True


async def operators_of(uow: UnitOfWork, merchant_id: int) -> list[Operator]:
    await uow.programs.load(merchant_id)
    return await uow.operators.of_merchant(merchant_id)


async def set_enabled(
    uow: UnitOfWork, merchant_id: int, email: str, enabled: bool, now: datetime
) -> Operator:
    """Disable (or enable again) an operator; disabling ends their sessions at once."""
    stored = await uow.operators.by_email(merchant_id, normalise_email(email))
    if stored is None:
        raise Refused(Reason.USER_NOT_FOUND, f"no operator {email} at merchant {merchant_id}")
    await uow.operators.set_enabled(merchant_id, stored.operator.id, enabled)
    if not enabled:
        await uow.operators.end_sessions_of(merchant_id, stored.operator.id, now)
    return stored.operator


# --- signing in -------------------------------------------------------------------------


def _guess(email: str) -> guessing.Guess:
    return guessing.Guess(f"operator:{email.strip().lower()}"[:240])


async def password_to_check(
    uow: UnitOfWork, program: Program, email: str, now: datetime, source: str | None
) -> str | None:
    """The hash the sign-in will check (a decoy for an unknown e-mail), read before the
    sign-in's transaction so the slow check runs outside it; None while refused."""
    if not email:
        return None
    try:
        await guessing.refuse_while_backing_off(uow, program, _guess(email), source, now)
    except Refused:
        return None
    stored = await uow.operators.by_email(program.merchant_id, email.strip().lower())
    return stored.password_hash if stored is not None else await decoy_hash()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    operator: Operator
    token: str
    expires_in: int


async def sign_in(
    uow: UnitOfWork,
    program: Program,
    email: str,
    password: str,
    code: str,
    now: datetime,
    source: str | None,
    *,
    ending: str | None = None,
) -> SignedIn:
    """A new session for the operator these credentials prove (``ending``: the
    session the browser held, ended first), or one refusal for every wrong part."""
    guess = _guess(email)
    await guessing.refuse_while_backing_off(
        uow, program, guess, source, now, reason=Reason.ACCOUNT_LOCKED
    )
    stored = await uow.operators.by_email(program.merchant_id, email.strip().lower())
    hash = stored.password_hash if stored is not None else await decoy_hash()
    ok = await check_password_off_loop(hash, password)
    operator = stored.operator if stored is not None else None
    if ok and operator is not None and operator.enabled:
        owners_must = program.console.require_totp_for_owners
        if needs_second_factor(operator, owners_must):
            # A missing or wrong code is one more wrong guess, answered as a wrong
            # password is: the reply never tells that the password was right. Required
            # but never set up, no code can be right.
            secret = operator.totp_secret
            ok = secret is not None and totp_matches(secret, code, now)
    if not ok or operator is None or not operator.enabled:
        missed: tuple[Intent, ...] = (guessing.missed(program, guess, source, now, slow=True),)
        if operator is not None:
            # The operator learns of tries at their account; the reply still says
            # nothing of whether the e-mail is an operator's.
            missed += (AuditFailedSignIn(program.merchant_id, operator.id, now, source),)
        raise Refused(Reason.COULD_NOT_AUTHENTICATE, intents=missed)
    await guessing.succeeded(uow, program, guess, source)
    await uow.operators.audit(operator, now, "sign_in", None, None, {"source": source}, None)
    if ending:
        await uow.operators.end_session(token_digest(ending), now)
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=SESSION_HOURS)
    await uow.operators.start_session(
        program.merchant_id, operator.id, token_digest(token), now, now + lifetime
    )
    return SignedIn(operator, token, int(lifetime.total_seconds()))


async def session_operator(uow: UnitOfWork, token: str | None, now: datetime) -> Operator | None:
    if not token:
        return None
    return await uow.operators.session_operator(token_digest(token), now)


async def sign_out(
    uow: UnitOfWork, token: str | None, now: datetime, source: str | None = None
) -> None:
    """End the session; a live one's operator gets a sign-out entry in the audit."""
    if not token:
        return
    operator = await uow.operators.session_operator(token_digest(token), now)
    await uow.operators.end_session(token_digest(token), now)
    if operator is not None:
        await uow.operators.audit(operator, now, "sign_out", None, None, {"source": source}, None)

"""Guest sign-in and OAuth tokens (oauth.yaml, auth.yaml): what every way of signing a
guest in shares.

A sign-in issues an access token (30 minutes by default) and a refresh token in a new
token family (``issue_tokens``); the grants that lead there are in
``services.guest_tokens``. Failed attempts are counted per subject (a username, a card,
an integration, a phone number) and lock it for a while at the program's limit, and a
wrong password costs the same time whether the username exists or not.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.security import check_password_off_loop, decoy_hash
from openpxs.services import guessing
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

GUEST_SCOPES = ("user_read", "user_write", "account_read", "account_write")
GRANTABLE_SCOPES = frozenset((*GUEST_SCOPES, "region_event_post"))
DEFAULT_SCOPE = " ".join(GUEST_SCOPES)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    username: str | None
    user_id: int


def parse_scope(requested: object) -> str:
    """The space-separated scope to grant: all guest scopes when none is asked for."""
    if requested is None or requested == "":
        return DEFAULT_SCOPE
    if not isinstance(requested, str):
        raise Refused(Reason.INVALID_SCOPE, "scope must be a space-separated string")
    asked = requested.split()
    unknown = sorted(set(asked) - GRANTABLE_SCOPES)
    if unknown:
        raise Refused(Reason.INVALID_SCOPE, f"Unknown scope: {' '.join(unknown)}")
    return " ".join(sorted(set(asked), key=asked.index))


async def issue_tokens(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    user: User,
    scope: str,
    now: datetime,
    family: str | None = None,
) -> TokenSet:
    security = program.guest.security
    family = family or secrets.token_hex(16)

    async def store(kind: str, lifetime: timedelta) -> str:
        return await uow.tokens.issue(
            merchant_id=program.merchant_id,
            kind=kind,
            family=family,
            user_id=user.id,
            integration_id=integration.id,
            scope=scope,
            now=now,
            lifetime=lifetime,
        )

    access = await store("access", timedelta(seconds=security.access_token_seconds))
    refresh = await store("refresh", timedelta(days=security.refresh_token_days))
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_in=security.access_token_seconds,
        scope=scope,
        username=user.username,
        user_id=user.id,
    )


async def check_password(
    uow: UnitOfWork,
    program: Program,
    username: object,
    password: object,
    now: datetime,
    source: str | None,
) -> User:
    """The user these credentials prove, or a refusal that does not say which part was wrong.

    Wrong passwords are counted for the username (known or not) from ``source`` and
    from every address, and for the address itself (``services.guessing``); a counter
    at its limit refuses for a while with ``account_locked``.
    """
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise Refused(Reason.COULD_NOT_AUTHENTICATE)
    guess = guessing.password_guess(username)
    await guessing.refuse_while_backing_off(
        uow, program, guess, source, now, reason=Reason.ACCOUNT_LOCKED
    )
    user = await uow.users.by_unique(program.merchant_id, "username", username)
    if user is None or user.password_hash is None:
        await check_password_off_loop(await decoy_hash(), password)
        ok = False
    else:
        ok = await check_password_off_loop(user.password_hash, password)
    if not ok or user is None:
        raise Refused(
            Reason.COULD_NOT_AUTHENTICATE,
            intents=(guessing.missed(program, guess, source, now, slow=True),),
        )
    await guessing.succeeded(uow, program, guess, source)
    return user


async def password_to_check(
    uow: UnitOfWork, program: Program, username: str, now: datetime, source: str | None
) -> str | None:
    """The stored hash a sign-in with this username will be checked against (the decoy
    for an unknown one), or None when the check will not happen (refused for now). Read
    before the call's transaction, so that the slow check runs outside it
    (``security.check_ahead``)."""
    if not username:
        return None
    try:
        await guessing.refuse_while_backing_off(
            uow, program, guessing.password_guess(username), source, now
        )
    except Refused:
        return None
    user = await uow.users.by_unique(program.merchant_id, "username", username)
    if user is None or user.password_hash is None:
        return await decoy_hash()
    return user.password_hash


async def principal_for_token(
    uow: UnitOfWork, integration: Integration, token: object, now: datetime
) -> Principal:
    """The guest a live access token of this integration acts for (the oauth style).

    Refused with ``INVALID_TOKEN`` otherwise, which clients answer by refreshing.
    """
    if not isinstance(token, str) or not token:
        raise Refused(Reason.INVALID_TOKEN, "An access_token is required")
    stored = await uow.tokens.find(integration.merchant_id, token, "access")
    if stored is None or not stored.live(now) or stored.integration_id != integration.id:
        raise Refused(Reason.INVALID_TOKEN)
    return Principal(
        style="oauth",
        merchant_id=integration.merchant_id,
        user_id=stored.user_id,
        scopes=stored.scopes,
        token_family=stored.family,
    )

"""Guest sign-in and OAuth tokens (oauth.yaml, auth.yaml).

A sign-in issues an access token (30 minutes by default) and a refresh token in a new
token family. Refreshing uses the refresh token up and issues the next pair in the same
family; presenting a used refresh token again means it was copied, so the whole family is
revoked. Authorization grants are single use and live five minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import normalise_unique
from openpxs.domain.intents import CountFailures, EndSignIn, FailureLimit
from openpxs.domain.program import Program
from openpxs.security import hash_secret, verify_secret
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork
from openpxs.wire.context import Integration, Principal
from openpxs.wire.envelope import ServiceFailure

GUEST_SCOPES = ("user_read", "user_write", "account_read", "account_write")
GRANTABLE_SCOPES = frozenset((*GUEST_SCOPES, "region_event_post"))
DEFAULT_SCOPE = " ".join(GUEST_SCOPES)

INVALID_TOKEN = "invalid_token"
COULD_NOT_AUTHENTICATE = "could_not_authenticate"
INVALID_GRANT = "invalid_grant"
ACCOUNT_LOCKED = "account_locked"
INSUFFICIENT_SCOPE = "insufficient_scope"

# Paid on every failed password so that unknown usernames cost the same time.
_DECOY = hash_secret(secrets.token_hex(16))


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    username: str | None
    user_id: int


def invalid_token(message: str = "Invalid or expired access token") -> ServiceFailure:
    # Mobile clients react to HTTP 401 by refreshing their token (auth.yaml, REVIEW.md).
    return ServiceFailure(
        INVALID_TOKEN,
        message,
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def parse_scope(requested: object) -> str:
    """The space-separated scope to grant: all guest scopes when none is asked for."""
    if requested is None or requested == "":
        return DEFAULT_SCOPE
    if not isinstance(requested, str):
        raise ServiceFailure("invalid_scope", "scope must be a space-separated string")
    asked = requested.split()
    unknown = sorted(set(asked) - GRANTABLE_SCOPES)
    if unknown:
        raise ServiceFailure("invalid_scope", f"Unknown scope: {' '.join(unknown)}")
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


def count_failure(
    program: Program, subjects: list[str], now: datetime, *, slow: bool
) -> CountFailures:
    """What a refused sign-in or card guess leaves behind once its call has rolled back:
    one more failure against each subject, each with its own limit."""
    security = program.guest.security

    def limit_of(subject: str) -> int:
        if subject.startswith("client:"):
            return security.max_client_card_guesses
        if subject.startswith("card:"):
            return security.max_card_guesses
        return security.max_failed_sign_ins

    return CountFailures(
        merchant_id=program.merchant_id,
        limits=tuple(FailureLimit(subject, limit_of(subject)) for subject in subjects),
        window=timedelta(minutes=security.failure_window_minutes),
        lock_for=timedelta(minutes=security.lock_minutes),
        now=now,
        slow=slow,
    )


def user_subject(username: str) -> str:
    return f"user:{normalise_unique('username', username)}"


async def refuse_if_locked(
    uow: UnitOfWork,
    program: Program,
    subjects: list[str],
    now: datetime,
    *,
    reason: Reason = Reason.ACCOUNT_LOCKED,
) -> None:
    """Refuse while any of the subjects is locked, saying how long the lock lasts."""
    until = await uow.failures.locked_until(program.merchant_id, subjects, now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() + 59) // 60)
        raise Refused(reason, f"try again in {minutes} minute{'s' * (minutes > 1)}")


async def check_password(
    uow: UnitOfWork, program: Program, username: object, password: object, now: datetime
) -> User:
    """The user these credentials prove, or a refusal that does not say which part was wrong.

    Failures are counted per username (known or not); at the limit the username is locked
    for a while and the reply says so with ``account_locked``.
    """
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise Refused(Reason.COULD_NOT_AUTHENTICATE)
    subject = user_subject(username)
    await refuse_if_locked(uow, program, [subject], now)
    user = await uow.users.by_unique(program.merchant_id, "username", username)
    if user is None or user.password_hash is None:
        verify_secret(_DECOY, password)
        ok = False
    else:
        ok = verify_secret(user.password_hash, password)
    if not ok or user is None:
        raise Refused(
            Reason.COULD_NOT_AUTHENTICATE,
            intents=(count_failure(program, [subject], now, slow=True),),
        )
    await uow.failures.clear(program.merchant_id, subject)
    return user


async def password_grant(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    username: object,
    password: object,
    scope: str,
    now: datetime,
) -> TokenSet:
    user = await check_password(uow, program, username, password, now)
    return await issue_tokens(uow, program, integration, user, scope, now)


async def refresh_grant(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    refresh_token: object,
    requested_scope: object,
    now: datetime,
) -> TokenSet:
    if not isinstance(refresh_token, str) or not refresh_token:
        raise ServiceFailure(INVALID_GRANT, "The supplied credentials were not valid.")
    stored = await uow.tokens.find(program.merchant_id, refresh_token, "refresh", lock=True)
    if stored is None or not stored.live(now) or stored.integration_id != integration.id:
        raise ServiceFailure(INVALID_GRANT, "The supplied credentials were not valid.")
    if not await uow.tokens.mark_used(program.merchant_id, refresh_token, now):
        # A refresh token is good for one refresh: a second use means a copy is about,
        # so every token of that sign-in ends.
        raise ServiceFailure(
            INVALID_GRANT,
            "The supplied credentials were not valid.",
            intents=(EndSignIn(program.merchant_id, stored.family, now),),
        )
    scope = stored.scope
    if requested_scope not in (None, ""):
        narrowed = parse_scope(requested_scope)
        if not set(narrowed.split()) <= stored.scopes:
            raise ServiceFailure("invalid_scope", "A refresh cannot widen the granted scope")
        scope = narrowed
    user = await uow.users.by_id(program.merchant_id, stored.user_id)
    if user is None:
        raise ServiceFailure(INVALID_GRANT, "The supplied credentials were not valid.")
    # The access token being replaced stops working: one live access token per sign-in.
    await uow.tokens.revoke_access_tokens(program.merchant_id, stored.family, now)
    return await issue_tokens(uow, program, integration, user, scope, now, family=stored.family)


async def authorization_code_grant(
    uow: UnitOfWork,
    program: Program,
    integration: Integration,
    code: object,
    requested_scope: object,
    now: datetime,
) -> TokenSet:
    """Exchange a single-use grant (from requestAuthorizationGrant) for tokens.

    The grant may come from another integration of the merchant: that is how a guest
    signed in to one app is handed to another without typing a password.
    """
    if not isinstance(code, str) or not code:
        raise ServiceFailure(INVALID_GRANT, "The authorization grant is not valid.")
    stored = await uow.tokens.find(program.merchant_id, code, "grant", lock=True)
    if (
        stored is None
        or not stored.live(now)
        or not await uow.tokens.mark_used(program.merchant_id, code, now)
    ):
        raise ServiceFailure(INVALID_GRANT, "The authorization grant is not valid.")
    scope = stored.scope
    if requested_scope not in (None, ""):
        narrowed = parse_scope(requested_scope)
        if not set(narrowed.split()) <= stored.scopes:
            raise ServiceFailure("invalid_scope", "The grant does not cover this scope")
        scope = narrowed
    user = await uow.users.by_id(program.merchant_id, stored.user_id)
    if user is None:
        raise ServiceFailure(INVALID_GRANT, "The authorization grant is not valid.")
    return await issue_tokens(uow, program, integration, user, scope, now)


async def issue_authorization_grant(
    uow: UnitOfWork, program: Program, principal: Principal, scope: object, now: datetime
) -> tuple[str, int]:
    """A one-use grant for the signed-in guest, no wider than their token."""
    assert principal.user_id is not None and principal.scopes is not None
    granted = " ".join(sorted(principal.scopes))
    if scope not in (None, ""):
        narrowed = parse_scope(scope)
        if not set(narrowed.split()) <= principal.scopes:
            raise ServiceFailure(INSUFFICIENT_SCOPE, "A grant cannot be wider than the token")
        granted = narrowed
    lifetime = program.guest.security.authorization_grant_seconds
    grant = await uow.tokens.issue(
        merchant_id=program.merchant_id,
        kind="grant",
        family=secrets.token_hex(16),
        user_id=principal.user_id,
        integration_id=0,
        scope=granted,
        now=now,
        lifetime=timedelta(seconds=lifetime),
    )
    return grant, lifetime


async def principal_for_token(
    uow: UnitOfWork, integration: Integration, token: object, now: datetime
) -> Principal:
    if not isinstance(token, str) or not token:
        raise invalid_token("An access_token is required")
    stored = await uow.tokens.find(integration.merchant_id, token, "access")
    if stored is None or not stored.live(now) or stored.integration_id != integration.id:
        raise invalid_token()
    return Principal(
        style="oauth",
        merchant_id=integration.merchant_id,
        user_id=stored.user_id,
        scopes=stored.scopes,
        token_family=stored.family,
    )


async def revoke(
    uow: UnitOfWork,
    integration: Integration,
    access_token: object,
    refresh_token: object,
    now: datetime,
) -> None:
    """Sign out: end the sign-in (token family) of the given access or refresh token."""
    for kind, token in (("access", access_token), ("refresh", refresh_token)):
        if isinstance(token, str) and token:
            stored = await uow.tokens.find(integration.merchant_id, token, kind)
            if stored is not None and stored.integration_id == integration.id:
                await uow.tokens.revoke_family(integration.merchant_id, stored.family, now)
                return
    raise invalid_token("No such token")

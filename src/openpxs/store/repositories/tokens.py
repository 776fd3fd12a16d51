"""OAuth tokens and authorization grants, kept only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from openpxs.store.repositories import Repository
from openpxs.store.tables import oauth_tokens


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    # 256 bits from the OS generator: unguessable, URL-safe.
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class StoredToken:
    merchant_id: int
    kind: str
    family: str
    user_id: int
    integration_id: int
    scope: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    redirect_uri: str | None = None
    code_challenge: str | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class TokenRepository(Repository):
    """OAuth tokens and authorization grants, kept only as SHA-256 digests."""

    __slots__ = ()

    async def issue(
        self,
        *,
        merchant_id: int,
        kind: str,
        family: str,
        user_id: int,
        integration_id: int,
        scope: str,
        now: datetime,
        lifetime: timedelta,
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        token = new_token()
        await self.conn.execute(
            insert(oauth_tokens).values(
                merchant_id=merchant_id,
                token_hash=digest(token),
                kind=kind,
                family=family,
                user_id=user_id,
                integration_id=integration_id,
                scope=scope,
                issued_at=now,
                expires_at=now + lifetime,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
            )
        )
        return token

    async def find(
        self, merchant_id: int | None, token: str, kind: str, *, lock: bool = False
    ) -> StoredToken | None:
        stmt = select(oauth_tokens).where(
            oauth_tokens.c.token_hash == digest(token), oauth_tokens.c.kind == kind
        )
        if merchant_id is not None:
            stmt = stmt.where(oauth_tokens.c.merchant_id == merchant_id)
        if lock and self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return StoredToken(
            merchant_id=row.merchant_id,
            kind=row.kind,
            family=row.family,
            user_id=row.user_id,
            integration_id=row.integration_id,
            scope=row.scope,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
            revoked_at=row.revoked_at,
            redirect_uri=row.redirect_uri,
            code_challenge=row.code_challenge,
        )

    async def mark_used(self, merchant_id: int, token: str, now: datetime) -> bool:
        """Use a single-use token; False when another call used it first."""
        result = await self.conn.execute(
            update(oauth_tokens)
            .where(
                oauth_tokens.c.merchant_id == merchant_id,
                oauth_tokens.c.token_hash == digest(token),
                oauth_tokens.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_family(self, merchant_id: int, family: str, now: datetime) -> None:
        await self.conn.execute(
            update(oauth_tokens)
            .where(
                oauth_tokens.c.merchant_id == merchant_id,
                oauth_tokens.c.family == family,
                oauth_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    async def revoke_access_tokens(self, merchant_id: int, family: str, now: datetime) -> None:
        """End a sign-in's access tokens only: its used refresh tokens stay as they are, so
        presenting one again is still recognised as a replay."""
        await self.conn.execute(
            update(oauth_tokens)
            .where(
                oauth_tokens.c.merchant_id == merchant_id,
                oauth_tokens.c.family == family,
                oauth_tokens.c.kind == "access",
                oauth_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    async def revoke_user(self, merchant_id: int, user_id: int, now: datetime) -> None:
        """End every sign-in of a user (password changed or reset, user deleted)."""
        await self.conn.execute(
            update(oauth_tokens)
            .where(
                oauth_tokens.c.merchant_id == merchant_id,
                oauth_tokens.c.user_id == user_id,
                oauth_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

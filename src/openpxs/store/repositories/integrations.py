"""Integration credentials: the POS, app and website clients of each merchant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from openpxs.domain.identity import Integration
from openpxs.store.repositories import Repository
from openpxs.store.repositories.tokens import digest
from openpxs.store.tables import integrations, oauth_tokens


@dataclass(frozen=True)
class StoredIntegration:
    integration: Integration
    secret_hash: str
    enabled: bool


def _stored(row: Any) -> StoredIntegration:
    return StoredIntegration(
        Integration(
            id=row.id,
            merchant_id=row.merchant_id,
            identifier=row.identifier,
            styles=tuple(row.styles),
        ),
        secret_hash=row.secret_hash,
        enabled=bool(row.enabled),
    )


class IntegrationRepository(Repository):
    __slots__ = ()

    async def by_identifier(self, identifier: str) -> StoredIntegration | None:
        row = (
            await self.conn.execute(
                select(integrations).where(integrations.c.identifier == identifier)
            )
        ).first()
        return _stored(row) if row is not None else None

    async def by_access_token(self, access_token: str) -> StoredIntegration | None:
        """The integration an access token was issued to (whether or not still live)."""
        row = (
            await self.conn.execute(
                select(integrations)
                .join(
                    oauth_tokens,
                    (oauth_tokens.c.merchant_id == integrations.c.merchant_id)
                    & (oauth_tokens.c.integration_id == integrations.c.id),
                )
                .where(
                    oauth_tokens.c.token_hash == digest(access_token),
                    oauth_tokens.c.kind == "access",
                )
            )
        ).first()
        return _stored(row) if row is not None else None

"""One-time codes sent to guests: e-mail verification, password reset, SMS sign-in.

Only a digest of each code is stored. A code is used once; wrong guesses count against
the code and exhaust it, so a six-digit code cannot be walked through.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from openpxs.security import keyed_digest
from openpxs.store.repositories import Repository
from openpxs.store.tables import verification_codes

MAX_ATTEMPTS = 5


def _digest(merchant_id: int, purpose: str, code: str) -> str:
    # Keyed (settings.secret_key): six digits hashed without a key are found by trying
    # all million.
    return keyed_digest(f"{merchant_id}\0{purpose}\0{code.strip()}")


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


@dataclass(frozen=True)
class IssuedCode:
    id: int
    user_id: int | None
    account_id: int | None
    target: str | None


class CodeRepository(Repository):
    """One-time codes sent to guests, kept as digests: used once, worn out by wrong guesses."""

    __slots__ = ()

    async def issue(
        self,
        *,
        merchant_id: int,
        purpose: str,
        now: datetime,
        lifetime: timedelta,
        user_id: int | None = None,
        account_id: int | None = None,
        target: str | None = None,
        code: str | None = None,
    ) -> str:
        """Store a new code (and retire the earlier unused ones of this purpose and user)."""
        if user_id is not None:
            await self.conn.execute(
                update(verification_codes)
                .where(
                    verification_codes.c.merchant_id == merchant_id,
                    verification_codes.c.purpose == purpose,
                    verification_codes.c.user_id == user_id,
                    verification_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        code = code or new_numeric_code()
        await self.conn.execute(
            insert(verification_codes).values(
                merchant_id=merchant_id,
                purpose=purpose,
                code_hash=_digest(merchant_id, purpose, code),
                user_id=user_id,
                account_id=account_id,
                target=target,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        return code

    async def use(
        self,
        *,
        merchant_id: int,
        purpose: str,
        code: str,
        now: datetime,
        target: str | None = None,
        user_id: int | None = None,
    ) -> IssuedCode | None:
        """Consume a live code; None when it is unknown, used, expired or for someone else."""
        stmt = select(verification_codes).where(
            verification_codes.c.merchant_id == merchant_id,
            verification_codes.c.purpose == purpose,
            verification_codes.c.code_hash == _digest(merchant_id, purpose, code),
            verification_codes.c.used_at.is_(None),
            verification_codes.c.expires_at > now,
            verification_codes.c.attempts < MAX_ATTEMPTS,
        )
        if target is not None:
            stmt = stmt.where(verification_codes.c.target == target)
        if user_id is not None:
            stmt = stmt.where(verification_codes.c.user_id == user_id)
        row = (
            await self.conn.execute(stmt.order_by(verification_codes.c.id.desc()).limit(1))
        ).first()
        if row is None:
            return None
        claimed = await self.conn.execute(
            update(verification_codes)
            .where(verification_codes.c.id == row.id, verification_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            return None  # a concurrent call used it first
        return IssuedCode(
            id=row.id, user_id=row.user_id, account_id=row.account_id, target=row.target
        )

    async def count_wrong_guess(
        self,
        *,
        merchant_id: int,
        purpose: str,
        now: datetime,
        target: str | None = None,
        user_id: int | None = None,
    ) -> None:
        """A wrong code for a known guest or address wears out their live codes."""
        stmt = update(verification_codes).where(
            verification_codes.c.merchant_id == merchant_id,
            verification_codes.c.purpose == purpose,
            verification_codes.c.used_at.is_(None),
            verification_codes.c.expires_at > now,
        )
        if target is not None:
            stmt = stmt.where(verification_codes.c.target == target)
        elif user_id is not None:
            stmt = stmt.where(verification_codes.c.user_id == user_id)
        else:
            return
        await self.conn.execute(stmt.values(attempts=verification_codes.c.attempts + 1))

"""Referrals: the people a member invited, and the members' shareable referral codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from openpxs.domain.cards import AccountStatus
from openpxs.store.repositories import Repository
from openpxs.store.tables import accounts, referral_codes, referrals

# The state of a referral nobody has acted on yet; enrolling and rewarding move it on.
PENDING = "pending"


@dataclass(frozen=True)
class Invitee:
    """A person a member invited: the e-mail address as written, and the name."""

    email: str
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class Referral:
    email: str
    first_name: str | None
    last_name: str | None
    # pending | enrolled | rewarded
    status: str
    created_at: datetime


class ReferralRepository(Repository):
    __slots__ = ()

    async def of_accounts(self, merchant_id: int, account_ids: list[int]) -> list[Referral]:
        """Referrals made from these accounts (a user's few), oldest first."""
        if not account_ids:
            return []
        rows = await self.conn.execute(
            select(referrals)
            .where(referrals.c.merchant_id == merchant_id, referrals.c.account_id.in_(account_ids))
            .order_by(referrals.c.id)
        )
        return [Referral(r.email, r.first_name, r.last_name, r.status, r.created_at) for r in rows]

    async def emails_referred(self, merchant_id: int, account_id: int) -> set[str]:
        """The addresses the account has referred, lower-cased."""
        rows = await self.conn.execute(
            select(func.lower(referrals.c.email).label("email")).where(
                referrals.c.merchant_id == merchant_id, referrals.c.account_id == account_id
            )
        )
        return {row.email for row in rows}

    async def add(
        self, merchant_id: int, account_id: int, invitees: list[Invitee], now: datetime
    ) -> None:
        """Record the invitations as pending referrals of the account."""
        if not invitees:
            return
        await self.conn.execute(
            insert(referrals),
            [
                {
                    "merchant_id": merchant_id,
                    "account_id": account_id,
                    "email": invitee.email,
                    "first_name": invitee.first_name,
                    "last_name": invitee.last_name,
                    "status": PENDING,
                    "created_at": now,
                }
                for invitee in invitees
            ],
        )

    async def code_of(self, merchant_id: int, account_id: int) -> str | None:
        """The account's referral code (its first, should there be more)."""
        code = (
            await self.conn.execute(
                select(referral_codes.c.code)
                .where(
                    referral_codes.c.merchant_id == merchant_id,
                    referral_codes.c.account_id == account_id,
                )
                .order_by(referral_codes.c.created_at, referral_codes.c.code)
                .limit(1)
            )
        ).scalar()
        return None if code is None else str(code)

    async def claim_code(self, merchant_id: int, account_id: int, code: str, now: datetime) -> bool:
        """Give the account this code; False (and nothing changed) when another account
        of the merchant holds it already."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(referral_codes).values(
                        merchant_id=merchant_id, code=code, account_id=account_id, created_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    async def belongs_to_active_account(self, merchant_id: int, code: str) -> bool:
        """Whether the code (exactly as given) belongs to an active account."""
        found = (
            await self.conn.execute(
                select(referral_codes.c.code)
                .select_from(
                    referral_codes.join(
                        accounts,
                        (accounts.c.merchant_id == referral_codes.c.merchant_id)
                        & (accounts.c.id == referral_codes.c.account_id),
                    )
                )
                .where(
                    referral_codes.c.merchant_id == merchant_id,
                    referral_codes.c.code == code,
                    accounts.c.status == AccountStatus.ACTIVE.value,
                )
            )
        ).first()
        return found is not None

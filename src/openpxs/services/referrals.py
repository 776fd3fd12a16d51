"""Referrals: the people a member invited, and the member's shareable referral code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

# The enrollment form's own e-mail rule: a referral address is valid exactly when the
# invited person could enroll with it.
from openpxs.domain.fields import _EMAIL as EMAIL_RULE
from openpxs.store.tables import accounts, referral_codes, referrals
from openpxs.store.uow import UnitOfWork
from openpxs.wire.envelope import ServiceFailure

INVALID_REFERRAL = "guest.invalid_referral"
INVALID_REFERRAL_CODE = "guest.invalid_referral_code"

# Letters and digits a guest cannot misread or mistype when copying a code from a
# screen: no 0/O, 1/I/L. 31**8 codes leave guessing a valid one hopeless.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# A collision with an existing code is already unlikely; a few fresh draws settle it.
CODE_ATTEMPTS = 8


@dataclass(frozen=True)
class ReferralInput:
    email: str | None
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class ReferralRow:
    email: str
    first_name: str | None
    last_name: str | None
    status: str
    created_at: datetime


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def code_for_account(
    uow: UnitOfWork, merchant_id: int, account_id: int, now: datetime
) -> str:
    """The account's referral code, made on first request; the same code afterwards."""
    # The account's lock makes two concurrent first calls agree on one code.
    await uow.accounts.lock(merchant_id, [account_id])
    existing = (
        await uow.conn.execute(
            select(referral_codes.c.code)
            .where(
                referral_codes.c.merchant_id == merchant_id,
                referral_codes.c.account_id == account_id,
            )
            .order_by(referral_codes.c.created_at, referral_codes.c.code)
            .limit(1)
        )
    ).scalar()
    if existing is not None:
        return str(existing)
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        try:
            async with uow.conn.begin_nested():
                await uow.conn.execute(
                    insert(referral_codes).values(
                        merchant_id=merchant_id, code=code, account_id=account_id, created_at=now
                    )
                )
        except IntegrityError:
            continue
        return code
    raise ServiceFailure("guest.system_error", "Could not make a unique referral code")


async def code_is_valid(uow: UnitOfWork, merchant_id: int, code: str) -> bool:
    """Whether the code belongs to an active account of the merchant (any case, spaces
    around it ignored, as a guest may type it)."""
    wanted = code.strip().upper()
    found = (
        await uow.conn.execute(
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
                referral_codes.c.code == wanted,
                accounts.c.status == "active",
            )
        )
    ).first()
    return found is not None


async def referrals_of(
    uow: UnitOfWork, merchant_id: int, account_ids: list[int]
) -> list[ReferralRow]:
    """Referrals made from these accounts, oldest first."""
    if not account_ids:
        return []
    rows = await uow.conn.execute(
        select(referrals)
        .where(referrals.c.merchant_id == merchant_id, referrals.c.account_id.in_(account_ids))
        .order_by(referrals.c.id)
    )
    return [ReferralRow(r.email, r.first_name, r.last_name, r.status, r.created_at) for r in rows]


def _checked(inputs: list[ReferralInput], own_email: str | None) -> list[ReferralInput]:
    """The referrals to keep, e-mail lower-cased and each address once; any bad entry
    refuses the whole call, so a client never has to work out which half was stored."""
    if not inputs:
        raise ServiceFailure(INVALID_REFERRAL, "Invalid referral: referrals is empty")
    own = (own_email or "").strip().lower()
    kept: dict[str, ReferralInput] = {}
    for position, item in enumerate(inputs):
        email = (item.email or "").strip().lower()
        if not email or not EMAIL_RULE.match(email):
            raise ServiceFailure(
                INVALID_REFERRAL, f"Invalid referral: referrals[{position}].email is not valid"
            )
        if email == own:
            raise ServiceFailure(
                INVALID_REFERRAL, f"Invalid referral: referrals[{position}] refers the member"
            )
        kept.setdefault(
            email,
            ReferralInput(
                email,
                (item.first_name or "").strip() or None,
                (item.last_name or "").strip() or None,
            ),
        )
    return list(kept.values())


async def add_referrals(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    inputs: list[ReferralInput],
    own_email: str | None,
    now: datetime,
) -> None:
    """Record invitations as pending referrals. An address this account already referred
    is left as it is, so sending the same list again changes nothing."""
    wanted = _checked(inputs, own_email)
    # Serialises two calls adding the same address (the unique key would otherwise fail).
    await uow.accounts.lock(merchant_id, [account_id])
    known = {
        r.email
        for r in await uow.conn.execute(
            select(func.lower(referrals.c.email).label("email")).where(
                referrals.c.merchant_id == merchant_id, referrals.c.account_id == account_id
            )
        )
    }
    fresh = [r for r in wanted if r.email not in known]
    if fresh:
        await uow.conn.execute(
            insert(referrals),
            [
                {
                    "merchant_id": merchant_id,
                    "account_id": account_id,
                    "email": r.email,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "status": "pending",
                    "created_at": now,
                }
                for r in fresh
            ],
        )

"""Referrals: the people a member invited, and the member's shareable referral code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from openpxs.domain.errors import Reason, Refused

# The enrollment form's own e-mail rule: a referral address is valid exactly when the
# invited person could enroll with it.
from openpxs.domain.fields import is_email
from openpxs.services.context import Call
from openpxs.services.guest_cards import home_account
from openpxs.store.repositories.referrals import Invitee, Referral
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

# Letters and digits a guest cannot misread or mistype when copying a code from a
# screen: no 0/O, 1/I/L. 31**8 codes leave guessing a valid one hopeless.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# A collision with an existing code is already unlikely; a few fresh draws settle it.
CODE_ATTEMPTS = 8


@dataclass(frozen=True)
class ReferralInput:
    """A referral as the caller sent it, before it is checked."""

    email: str | None
    first_name: str | None
    last_name: str | None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def user_account(call: Call, user: User) -> int:
    """The account a username-addressed call acts on: the user's primary account."""
    home = await home_account(call.uow, call.merchant_id, user)
    if home is None:
        raise Refused(Reason.USER_NOT_FOUND)
    return home.id


async def code_for_account(call: Call, account_id: int) -> str:
    """The account's referral code, made on first request; the same code afterwards."""
    uow, merchant_id = call.uow, call.merchant_id
    # The account's lock makes two concurrent first calls agree on one code.
    await uow.accounts.lock(merchant_id, [account_id])
    existing = await uow.referrals.code_of(merchant_id, account_id)
    if existing is not None:
        return existing
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        if await uow.referrals.claim_code(merchant_id, account_id, code, call.now):
            return code
    raise Refused(Reason.SYSTEM_ERROR, "Could not make a unique referral code")


async def validate_code(call: Call, code: str) -> None:
    """Refuse a code that belongs to no active account of the merchant (any case, spaces
    around it ignored, as a guest may type it)."""
    wanted = code.strip().upper()
    if not await call.uow.referrals.belongs_to_active_account(call.merchant_id, wanted):
        raise Refused(Reason.INVALID_REFERRAL_CODE)


async def referrals_of(uow: UnitOfWork, merchant_id: int, account_ids: list[int]) -> list[Referral]:
    """Referrals made from these accounts, oldest first."""
    return await uow.referrals.of_accounts(merchant_id, account_ids)


async def referrals_of_user(call: Call, user: User) -> list[Referral]:
    """Referrals made from any of the user's active accounts, oldest first."""
    account_ids = await call.uow.users.accounts_of(call.merchant_id, user.id)
    return await referrals_of(call.uow, call.merchant_id, account_ids)


def _checked(inputs: list[ReferralInput], own_email: str | None) -> list[Invitee]:
    """The referrals to keep, e-mail lower-cased and each address once; any bad entry
    refuses the whole call, so a client never has to work out which half was stored."""
    if not inputs:
        raise Refused(Reason.INVALID_REFERRAL, "referrals is empty")
    own = (own_email or "").strip().lower()
    kept: dict[str, Invitee] = {}
    for position, item in enumerate(inputs):
        email = (item.email or "").strip().lower()
        if not email or not is_email(email):
            raise Refused(Reason.INVALID_REFERRAL, f"referrals[{position}].email is not valid")
        if email == own:
            raise Refused(Reason.INVALID_REFERRAL, f"referrals[{position}] refers the member")
        kept.setdefault(
            email,
            Invitee(
                email,
                (item.first_name or "").strip() or None,
                (item.last_name or "").strip() or None,
            ),
        )
    return list(kept.values())


async def add_referrals(call: Call, account_id: int, inputs: list[ReferralInput]) -> list[Referral]:
    """Record invitations as pending referrals of the account, and return all of the
    account's referrals. An address this account already referred is left as it is, so
    sending the same list again changes nothing."""
    uow, merchant_id = call.uow, call.merchant_id
    member = await uow.users.of_account(merchant_id, account_id)
    wanted = _checked(inputs, member.email if member is not None else None)
    # Serialises two calls adding the same address (the unique key would otherwise fail).
    await uow.accounts.lock(merchant_id, [account_id])
    known = await uow.referrals.emails_referred(merchant_id, account_id)
    await uow.referrals.add(
        merchant_id, account_id, [r for r in wanted if r.email not in known], call.now
    )
    return await referrals_of(uow, merchant_id, [account_id])

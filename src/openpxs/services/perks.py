"""Perks: the program's configured perks of a type, and attaching one to an account."""

from __future__ import annotations

from openpxs.config.guest import PerkConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.program import Program
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card


def configured_perks(program: Program, perk_type: str) -> list[PerkConfig]:
    """The perks of one type; a type with none configured is refused."""
    perks = [p for p in program.guest.perks if p.type == perk_type]
    if not perks:
        raise Refused(Reason.INVALID_PERK_TYPE)
    return perks


async def add_perk(call: Call, number: str, code: str) -> AccountRef:
    """Attach a configured perk to the card's account; one it has already is kept."""
    ref = await account_by_card(call, number)
    if not any(p.code == code for p in call.program.guest.perks):
        raise Refused(Reason.INVALID_PERK)
    await call.uow.users.lock_account(call.merchant_id, ref.account_id)
    await call.uow.perks.add(call.merchant_id, ref.account_id, code, call.now)
    return ref

"""Wallet moves a call asks for, checked against the program, and applied to a book.

A POS or app call names wallets by code with quantities as it sends them; ``check_moves``
turns them into ``AppliedMove``s (the wallet, an exact quantity at its scale, an expiry
date) or refuses them, and ``apply_moves`` posts them to an account's book in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.ledger import AccountBook
from openpxs.domain.money import parse_quantity, to_units
from openpxs.domain.program import LATEST_EXPIRY, Program, WalletDef


@dataclass(frozen=True)
class Move:
    """One requested wallet movement, not yet checked against the program."""

    wallet_code: int
    quantity: object
    expires_on: date | None = None


@dataclass(frozen=True)
class AppliedMove:
    wallet: WalletDef
    quantity: Decimal
    expires_on: date | None = None

    @property
    def units(self) -> int:
        return to_units(self.quantity)

    def at_scale(self) -> Decimal:
        """The quantity with exactly as many decimals as its wallet shows."""
        return self.quantity.quantize(Decimal(1).scaleb(-self.wallet.scale))


def check_moves(
    program: Program,
    template_code: int,
    program_id: str,
    moves: list[Move],
    now: datetime,
    *,
    past_expiry_ok: bool = False,
) -> list[AppliedMove]:
    """The moves as the program allows them on a card of ``template_code``.

    ``past_expiry_ok``: the moves only identify an earlier call (a void resends its
    body), so an expiration date that has passed since is no reason to refuse.
    """
    applied = []
    for move in moves:
        wallet = program.wallet_for(move.wallet_code, template_code, program_id)
        quantity = parse_quantity(move.quantity, wallet.scale)
        expires_on = move.expires_on or program.default_expiry(wallet, now)
        if (
            move.expires_on is not None
            and move.expires_on < program.today(now)
            and not past_expiry_ok
        ):
            raise InvalidRequest(f"expiration date {move.expires_on} is in the past")
        if move.expires_on is not None and move.expires_on > LATEST_EXPIRY:
            raise InvalidRequest(f"expiration date {move.expires_on} is too far ahead")
        applied.append(AppliedMove(wallet, quantity, expires_on))
    return applied


def contents_hash(added: list[AppliedMove], redeemed: list[AppliedMove]) -> str:
    """A fingerprint of what moved, so a void can be matched to its original."""
    parts = sorted(f"a{m.wallet.code}:{m.units}" for m in added)
    parts += sorted(f"r{m.wallet.code}:{m.units}" for m in redeemed)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def apply_moves(
    book: AccountBook,
    program: Program,
    added: list[AppliedMove],
    redeemed: list[AppliedMove],
    now: datetime,
) -> None:
    """Adds first, then redemptions, so one call can load and spend the same wallet."""
    for move in added:
        expires_at = program.expiry_instant(move.expires_on) if move.expires_on else None
        book.wallet(move.wallet.code).credit(
            move.units, expires_at=expires_at, expires_on=move.expires_on
        )
    for move in redeemed:
        book.wallet(move.wallet.code).debit(move.units, now)

"""Coupons: finding one, the rules of its dates and stores, and the limits on its uses.

A coupon's usage limits (``single_use``, ``max_uses``, ``per_account_limit``) are
numbered slots: each use that falls under a limit claims a free slot number from 1 to
the limit, and the store's unique indexes let no two standing uses hold the same slot.
A void, or the reversal of the check a use was recorded with, frees its slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from openpxs.config.loyalty import Coupon
from openpxs.domain.errors import InvalidCoupon, Reason, Refused
from openpxs.domain.program import Program

# The documented form of redemptionDatetime and checkOpenDatetime (coupon.yaml).
_POS_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


class Limit(StrEnum):
    """Which of a coupon's limits a use runs into."""

    COUPON = "coupon"  # single_use or max_uses: every use counts
    ACCOUNT = "account"  # per_account_limit: the uses of one account count


@dataclass(frozen=True)
class CouponLimits:
    """How many standing uses a coupon allows in all and per account (None: any)."""

    per_coupon: int | None
    per_account: int | None

    @classmethod
    def of(cls, coupon: Coupon) -> CouponLimits:
        overall = [n for n in (1 if coupon.single_use else None, coupon.max_uses) if n]
        return cls(min(overall) if overall else None, coupon.per_account_limit)

    def of_limit(self, limit: Limit) -> int | None:
        return self.per_coupon if limit is Limit.COUPON else self.per_account


@dataclass(frozen=True)
class CouponUse:
    """One use of a coupon, as it is recorded."""

    coupon_id: int
    store_code: str
    account_id: int | None = None
    printed_card_number: str | None = None
    check_number: str | None = None
    redemption_datetime: str | None = None
    check_open_datetime: str | None = None
    operator_id: str | None = None
    terminal_id: str | None = None
    # The check transaction the use came with, whose reversal gives the use back.
    transaction_id: int | None = None


@dataclass(frozen=True)
class RecordedUse:
    """A stored use, as a void looks for it."""

    id: int
    redemption_datetime: str | None
    voided: bool


def used_up(limit: Limit) -> Refused:
    """The refusal of a use beyond one of the coupon's limits."""
    if limit is Limit.ACCOUNT:
        return Refused(Reason.COUPON_USED_UP, "the coupon was already used on this account")
    return Refused(Reason.COUPON_USED_UP, "the coupon has been used up")


def find_coupon(program: Program, code: str) -> Coupon:
    """The coupon with this code (any case, blanks around it ignored)."""
    wanted = code.strip().upper()
    for coupon in program.loyalty.coupons:
        if coupon.code.upper() == wanted:
            return coupon
    raise InvalidCoupon(f"no coupon has the code {code!r}")


def coupon_by_id(program: Program, raw: int | str | None) -> Coupon:
    """The coupon a couponId names, sent as a number or a digit string."""
    wanted: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        wanted = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        # Coupon ids are Integers; a longer digit string names no coupon.
        wanted = int(raw.strip()) if len(raw.strip()) <= 10 else None
    for coupon in program.loyalty.coupons:
        if coupon.id == wanted:
            return coupon
    raise Refused(Reason.COUPON_NOT_FOUND, f"no coupon has the id {raw!r}")


def judge_dates(coupon: Coupon, today: date) -> None:
    if coupon.valid_from and today < coupon.valid_from:
        raise Refused(Reason.COUPON_NOT_YET_VALID, "the coupon is not valid yet")
    if coupon.valid_until and today > coupon.valid_until:
        raise Refused(Reason.COUPON_EXPIRED, "the coupon has expired")


def judge_store(coupon: Coupon, store_code: str | None) -> None:
    if coupon.stores and store_code not in coupon.stores:
        raise Refused(Reason.COUPON_NOT_AT_STORE, "the coupon is not valid at this store")


def pos_datetime(value: str | None, member: str) -> str:
    """The value itself (stored as sent, so a resend matches it exactly), once it is
    known to be a real yyyy-MM-ddTHH:mm:ss time."""
    text = (value or "").strip()
    try:
        if not _POS_DATETIME.match(text):
            raise ValueError
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise Refused(Reason.INVALID_DATETIME, f"{member} must be yyyy-MM-ddTHH:mm:ss") from None
    return text

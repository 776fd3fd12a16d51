"""Coupons: judging one for a check or a till, recording its uses, voiding them.

One set of rules serves the Check Service (a coupon on a posted or simulated check)
and the Coupon Service (validate, record and void a use), so both accept the same
coupons and count the same uses. Each step judges only what it can know: validation
without a card cannot judge the per-account limit, without a store it cannot judge the
store list, and recording a use that already happened does not look at the dates.

Judging counts the uses first, for a clear refusal; recording a use is what decides,
by claiming a slot under each limit (``uow.coupons.record``), so two concurrent uses
cannot both take a coupon's last use. Balances never move here: the reward is applied
by the POS or by the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openpxs.config.loyalty import Coupon
from openpxs.domain.cards import Card
from openpxs.domain.coupons import (
    CouponLimits,
    CouponUse,
    Limit,
    coupon_by_id,
    find_coupon,
    judge_dates,
    judge_store,
    pos_datetime,
    used_up,
)
from openpxs.domain.errors import (
    AlreadyVoided,
    CardNotActive,
    CardNotFound,
    Reason,
    Refused,
)
from openpxs.domain.program import Program
from openpxs.services.context import Call
from openpxs.store.uow import UnitOfWork


async def judge(
    uow: UnitOfWork,
    program: Program,
    coupon: Coupon,
    now: datetime,
    *,
    store_code: str | None,
    account_id: int | None,
    dates: bool = True,
    card_required: bool = True,
) -> None:
    """Refuse a coupon that is outside its dates or stores or has no uses left.

    ``store_code`` None: no store to judge. Without an account a per-account coupon is
    refused when ``card_required`` (a committed check needs the card), else its
    per-account limit is not judged."""
    if dates:
        judge_dates(coupon, program.today(now))
    if store_code is not None:
        judge_store(coupon, store_code)
    limits = CouponLimits.of(coupon)
    merchant = program.merchant_id
    if (
        limits.per_coupon is not None
        and await uow.coupons.held(merchant, coupon.id, Limit.COUPON) >= limits.per_coupon
    ):
        raise used_up(Limit.COUPON)
    if limits.per_account is None:
        return
    if account_id is None:
        if card_required:
            raise Refused(Reason.COUPON_USED_UP, "this coupon needs a loyalty card")
        return
    if await uow.coupons.held(merchant, coupon.id, Limit.ACCOUNT, account_id) >= (
        limits.per_account
    ):
        raise used_up(Limit.ACCOUNT)


async def record_use(
    uow: UnitOfWork, program: Program, coupon: Coupon, use: CouponUse, now: datetime
) -> None:
    """Write one use of a coupon: the one way a use is recorded. Refused as used up
    when a limit has no slot left, which a concurrent use may have taken since the
    coupon was judged."""
    limit = await uow.coupons.record(program.merchant_id, use, CouponLimits.of(coupon), now)
    if limit is not None:
        raise used_up(limit)


async def _card(uow: UnitOfWork, merchant_id: int, number: str | None) -> Card | None:
    """The active card a use is linked to, when the caller names one."""
    if not number:
        return None
    card = await uow.cards.find(merchant_id, number.strip())
    if card is None:
        raise CardNotFound("no card has this number")
    if not card.is_active:
        raise CardNotActive(f"the card is {card.status}")
    return card


def _store(program: Program, store_code: str | None) -> str:
    if not store_code or store_code not in program.stores:
        raise Refused(Reason.INVALID_STORE, f"{store_code!r} is not a store of this merchant")
    return store_code


async def validate_usage(
    call: Call, code: str, store_code: str | None, card_number: str | None
) -> Coupon:
    """The coupon with this code, valid today, at the store when one is named, and with
    uses left (for the card's account when one is named). Nothing is written."""
    program = call.program
    coupon = find_coupon(program, code)
    store = _store(program, store_code) if store_code else None
    card = await _card(call.uow, call.merchant_id, card_number)
    await judge(
        call.uow,
        program,
        coupon,
        call.now,
        store_code=store,
        account_id=card.account_id if card else None,
        card_required=False,
    )
    return coupon


@dataclass(frozen=True)
class Redemption:
    """A use as a till reports or voids it (CouponRedemptionInfo), not yet checked."""

    coupon_id: int | str | None
    store_code: str | None
    redemption_datetime: str | None
    check_open_datetime: str | None
    check_number: str | None
    operator_id: str | None = None
    terminal_id: str | None = None
    card_number: str | None = None


async def record_usage(call: Call, sent: Redemption) -> None:
    """Store one use within the coupon's limits, linked to the card's account when a
    card is named. A resend of a use that stands (same coupon, store, check number and
    redemption time) changes nothing."""
    program, uow = call.program, call.uow
    coupon = coupon_by_id(program, sent.coupon_id)
    store = _store(program, sent.store_code)
    redeemed_at = pos_datetime(sent.redemption_datetime, "redemptionDatetime")
    opened_at = pos_datetime(sent.check_open_datetime, "checkOpenDatetime")
    card = await _card(uow, call.merchant_id, sent.card_number)
    use = CouponUse(
        coupon_id=coupon.id,
        store_code=store,
        account_id=card.account_id if card else None,
        printed_card_number=card.number if card else None,
        check_number=sent.check_number,
        redemption_datetime=redeemed_at,
        check_open_datetime=opened_at,
        operator_id=sent.operator_id,
        terminal_id=sent.terminal_id,
    )

    if await uow.coupons.standing_resend(
        call.merchant_id, coupon.id, store, use.check_number, redeemed_at
    ):
        return
    await judge(
        uow,
        program,
        coupon,
        call.now,
        store_code=store,
        account_id=use.account_id,
        dates=False,
        card_required=False,
    )
    await record_use(uow, program, coupon, use, call.now)


async def void_usage(call: Call, sent: Redemption) -> None:
    """Void the use recorded with the same coupon, store, check number and check open
    time, which gives it back to the coupon's limits. Of several, the one with the same
    redemption time goes first, else the newest."""
    coupon = coupon_by_id(call.program, sent.coupon_id)
    if not sent.check_number:
        raise Refused(Reason.CHECK_NUMBER_REQUIRED, "a use can only be voided by its check number")
    redeemed_at = pos_datetime(sent.redemption_datetime, "redemptionDatetime")
    opened_at = pos_datetime(sent.check_open_datetime, "checkOpenDatetime")
    found = await call.uow.coupons.of_check(
        call.merchant_id, coupon.id, sent.store_code or "", sent.check_number, opened_at
    )
    if not found:
        raise Refused(Reason.COUPON_USE_NOT_FOUND)
    standing = [use for use in found if not use.voided]
    if not standing:
        raise AlreadyVoided()
    target = next((u for u in standing if u.redemption_datetime == redeemed_at), standing[0])
    await call.uow.coupons.void(call.merchant_id, target.id, call.now)

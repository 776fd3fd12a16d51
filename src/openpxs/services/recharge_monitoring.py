"""Auto recharge threshold monitoring (payment/enableAutoRechargeMonitoring and friends).

Nothing is charged: the server only watches the card's stored value. A redemption that
leaves it below the threshold raises a pending event (``auto_recharge.after_redemption``,
in the redemption's own transaction; at most one pending per card); the caller (an app
funding reloads itself, such as Apple Pay automatic reload) polls the pending events,
charges the guest with its own payment and calls recharge, whose completion settles the
event. Disabling monitoring drops the pending event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openpxs.domain.errors import AmountOutOfRange, CardNotActive, InvalidQuantity, Reason, Refused
from openpxs.domain.money import from_units, parse_quantity, to_units
from openpxs.domain.payments import PaymentsNotConfigured
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.recharge import check_amount, recharge_settings
from openpxs.store.repositories.recharge_monitors import MonitorEvent


@dataclass(frozen=True)
class PendingEvent:
    id: int
    card_number: str
    balance: Decimal
    threshold: Decimal
    amount: Decimal
    event: MonitorEvent


async def enable(
    call: Call, card_number: str | None, raw_threshold: object, raw_amount: object
) -> None:
    """Watch the card's stored value; the amount is the recharge the caller means to make,
    inside the merchant's recharge limits, and the threshold inside its auto-recharge
    limits (the same rules as automatic recharge)."""
    settings = recharge_settings(call.program.payments)
    limits = call.program.payments.auto_recharge
    if not limits.enabled:
        raise PaymentsNotConfigured("threshold monitoring is not offered by this merchant")
    account = await account_by_card(call, card_number)
    if not account.in_use:
        raise CardNotActive()
    if raw_threshold is None:
        raise InvalidQuantity("thresholdAmount is required")
    threshold = parse_quantity(raw_threshold, 2)
    if not limits.min_threshold <= threshold <= limits.max_threshold:
        raise AmountOutOfRange(
            f"thresholdAmount must be from {limits.min_threshold} to {limits.max_threshold}"
        )
    amount = check_amount(raw_amount, settings)
    await call.uow.recharge_monitors.watch(
        call.merchant_id,
        account.account_id,
        account.card_number,
        settings.wallet,
        to_units(amount),
        to_units(threshold),
        call.now,
    )


async def disable(call: Call, card_number: str | None) -> None:
    account = await account_by_card(call, card_number)
    if not await call.uow.recharge_monitors.stop(call.merchant_id, account.account_id, call.now):
        raise Refused(Reason.MONITORING_NOT_ENABLED, "the card's balance is not watched")


async def is_watched(call: Call, account_id: int) -> bool:
    return await call.uow.recharge_monitors.get(call.merchant_id, account_id) is not None


async def pending(call: Call, card_number: str | None) -> list[PendingEvent]:
    """The card's pending event, or (a back end asking without a card) every pending
    event of the merchant, oldest first."""
    if card_number is None and call.principal.style == "b2b":
        events = await call.uow.recharge_monitors.pending(call.merchant_id)
    else:
        account = await account_by_card(call, card_number)
        events = await call.uow.recharge_monitors.pending(call.merchant_id, account.account_id)
    return [
        PendingEvent(
            e.id,
            e.card_number,
            from_units(e.balance_units, 2),
            from_units(e.threshold_units, 2),
            from_units(e.amount_units, 2),
            e,
        )
        for e in events
    ]

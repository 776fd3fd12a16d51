"""Tour Service (tour.yaml): the merchant's active tours and a guest's progress."""

from __future__ import annotations

from datetime import datetime

from openpxs.config.places import TourConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.tours import TourProgress, progress
from openpxs.services.context import Call


def active_tours(call: Call) -> list[TourConfig]:
    """The tours whose dates hold the merchant's today."""
    today = call.program.today(call.now)
    return [t for t in call.program.places.tours if t.active_on(today)]


async def tour_status(call: Call, tour_code: str | None, card_number: str | None) -> TourProgress:
    """The card's account's progress on the tour (any tour of the program, active or
    not: a guest may look back at a finished one)."""
    if not card_number:
        raise Refused(Reason.CARD_NOT_FOUND, "printedCardNumber is required")
    found = await call.uow.cards.with_account(call.merchant_id, card_number)
    if found is None:
        raise Refused(Reason.CARD_NOT_FOUND)
    _, account = found
    if not call.principal.may_reach(account.id, account.user_id):
        raise Refused(Reason.CARD_NOT_FOUND)
    tour = call.program.places.tour(tour_code) if tour_code else None
    if tour is None:
        raise Refused(Reason.INVALID_TOUR)
    checks = await call.uow.checks.accrued_of_account(call.merchant_id, account.id)

    def local_day(instant: datetime) -> object:
        return call.program.today(instant)

    return progress(tour, checks, local_day)

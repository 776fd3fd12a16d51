"""Concurrent redemptions that cross an automatic recharge threshold make exactly one
recharge (run as in test_races.py: a second application, calls fired at once)."""

from __future__ import annotations

from collections import Counter

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.payments import CardDisplay
from openpxs.processors.builtin import BuiltinTestProcessor
from openpxs.services.auto_recharge import make_due_recharges
from openpxs.store.tables import payment_attempts
from openpxs.store.uow import unit_of_work
from tests.api.pos import GIFT, add_redeem_body, sell_body, sv
from tests.pg.test_races import Pos, outcome, race, race_url

__all__ = ["race_url"]


def test_twenty_concurrent_redemptions_below_the_threshold_make_one_recharge(
    race_url: str,
) -> None:
    BuiltinTestProcessor.forget_all()

    async def scenario(pos: Pos) -> None:
        sold = await pos.call("activateAdd", sell_body(GIFT, "25.00"))
        assert sold["svCurrentBalance"] == "25.00", sold
        processor = BuiltinTestProcessor.for_merchant(1000)
        kept = await processor.verify_and_save("tok_visa", "race-save")
        assert kept.token is not None
        now = ShiftedClock().now()
        async with unit_of_work(pos.engine) as uow:
            card = await uow.cards.find(1000, GIFT)
            assert card is not None and card.account_id is not None
            await uow.payment_methods.replace_saved_card(
                1000,
                card.account_id,
                "test",
                kept.token,
                CardDisplay("VISA", "4242"),
                None,
                None,
                now,
            )
            await uow.auto_recharges.enable(1000, card.account_id, GIFT, 1, 250_000, 100_000, now)
        replies = await pos.at_once(
            "addRedeem", [add_redeem_body(GIFT, redeem=sv("1.00")) for _ in range(20)]
        )
        assert Counter(map(outcome, replies)) == {"authorizedSuccess": 20}
        assert await pos.balance() == "5.00"
        made = await make_due_recharges(lambda: unit_of_work(pos.engine), ShiftedClock().now())
        assert made == 1
        assert await pos.count(payment_attempts) == 1
        assert await pos.balance() == "30.00"
        assert await pos.audit_problems() == []

    race(race_url, scenario)
    BuiltinTestProcessor.forget_all()

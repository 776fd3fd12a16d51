"""The rules engine on its own: fixed checks against the demo program, and properties."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openpxs.config import DEMO_CONFIG_FILES, load_config
from openpxs.config.loyalty import (
    Conversion,
    EarningRule,
    LoyaltyConfig,
    RewardDefinition,
    TierRule,
    When,
)
from openpxs.domain.earning import (
    AccountFacts,
    CheckFacts,
    Discount,
    Line,
    accrue,
    applies,
    conversions,
    net_amounts,
    next_conversions,
    next_tier,
    offer,
    tier_for,
    tier_goals,
)

DEMO = load_config(DEMO_CONFIG_FILES[0]).loyalty
SCALES = {1: 2, 2: 0, 3: 0, 4: 0}
D = Decimal


def line(line_id: str, amount: str, *categories: str, item: str = "", qty: str = "1") -> Line:
    return Line(line_id, item or line_id, frozenset(categories), D(qty), D(amount))


def check(*lines: Line, store: str = "1001", service: str = "0") -> CheckFacts:
    return CheckFacts(
        lines=lines,
        subtotal=sum((x.amount for x in lines), D(0)),
        store_code=store,
        service_charges=D(service),
        at=datetime(2026, 11, 26, 12, 30),
    )


def test_food_and_alcohol_earn_on_the_food_only_plus_a_visit() -> None:
    c = check(line("1", "30.00", "FOOD"), line("2", "25.00", "ALCOHOL"))
    result = accrue(DEMO, SCALES, c, [], AccountFacts())
    assert result.quantities == {2: D(30), 4: D(1)}
    assert [r.rule for r in result.breakdown] == ["Points per dollar", "Visit"]


def test_featured_items_earn_double_and_gold_multiplies_again() -> None:
    c = check(line("1", "40.00", "FEATURED"))
    assert accrue(DEMO, SCALES, c, [], AccountFacts()).quantities[2] == D(80)
    gold = accrue(DEMO, SCALES, c, [], AccountFacts(tier_code=2))
    assert gold.quantities[2] == D(120)
    assert "Gold 1.5x points x1.5" in gold.breakdown[0].detail


def test_points_are_floored_per_whole_dollar_after_discounts() -> None:
    c = check(line("1", "20.00", "FOOD"))
    reward = offer("$5 Reward", DEMO.rewards[0].definition, c, [])
    assert reward is not None and reward.amount == D("5.00") and reward.kind == "SUBTOTAL"
    result = accrue(DEMO, SCALES, c, [reward.as_discount()], AccountFacts())
    assert result.quantities == {2: D(15), 4: D(1)}
    small = check(line("1", "4.99", "FOOD"))
    assert accrue(DEMO, SCALES, small, [], AccountFacts()).quantities == {2: D(4)}


def test_a_subtotal_discount_is_shared_by_ineligible_lines() -> None:
    c = check(line("1", "30.00", "FOOD"), line("2", "30.00", "ALCOHOL"))
    net = net_amounts(c, [Discount("coupon", D("10.00"))])
    assert net == {"1": D("25.00"), "2": D("25.00")}
    assert accrue(DEMO, SCALES, c, [Discount("c", D("10.00"))], AccountFacts()).quantities[2] == 25


def test_the_reward_never_exceeds_the_subtotal_and_needs_a_check() -> None:
    c = check(line("1", "3.50", "FOOD"))
    reward = offer("r", DEMO.rewards[0].definition, c, [])
    assert reward is not None and reward.amount == D("3.50")
    assert offer("r", DEMO.rewards[0].definition, c, [reward.as_discount()]) is None


def test_welcome_coupon_needs_twenty_dollars() -> None:
    welcome = DEMO.coupons[0].definition
    assert offer("WELCOME5", welcome, check(line("1", "19.99")), []) is None
    taken = offer("WELCOME5", welcome, check(line("1", "25.00")), [])
    assert taken is not None and taken.amount == D("5.00")


def test_item_rewards_pick_the_best_line() -> None:
    free = RewardDefinition(kind="free_item", eligible={"categories": ["DESSERT"]})  # type: ignore[arg-type]
    c = check(line("1", "12.00", "DESSERT", qty="2"), line("2", "7.00", "DESSERT"), line("3", "30"))
    got = offer("free dessert", free, c, [])
    assert got is not None and got.line_ids == ("2",) and got.amount == D("7.00")
    pct = RewardDefinition(kind="percent_off_item", percent=D(50))
    got = offer("half", pct, c, [])
    assert got is not None and got.line_ids == ("3",) and got.amount == D("15.00")
    multi = RewardDefinition(
        kind="amount_off_items", amount=D(100), eligible={"categories": ["DESSERT"]}
    )  # type: ignore[arg-type]
    got = offer("multi", multi, c, [])
    assert got is not None and got.amount == D("19.00") and got.kind == "MULTI_ITEM"
    service = RewardDefinition(kind="amount_off_service_charge", amount=D(3))
    got = offer("tip", service, check(line("1", "10"), service="2.00"), [])
    assert got is not None and got.amount == D("2.00") and got.kind == "SERVICE_CHARGE"


def test_conversion_takes_whole_thresholds_only() -> None:
    moves = conversions(DEMO.conversions, {2: D(110), 3: D(0)})
    assert [(m.from_wallet, m.from_quantity, m.to_wallet, m.to_quantity) for m in moves] == [
        (2, D(100), 3, D(1))
    ]
    assert conversions(DEMO.conversions, {2: D(99)}) == []
    assert conversions(DEMO.conversions, {2: D(350)})[0].to_quantity == D(3)


def test_caps_and_minimums() -> None:
    rules = LoyaltyConfig(
        earning=[
            EarningRule(
                name="capped", wallet=2, min_check=D(10), cap_per_check=D(50), cap_per_day=D(60)
            )
        ]
    )
    assert accrue(rules, SCALES, check(line("1", "9.99")), [], AccountFacts()).quantities == {}
    big = check(line("1", "500"))
    assert accrue(rules, SCALES, big, [], AccountFacts()).quantities == {2: D(50)}
    later = AccountFacts(earned_today={2: D(55)})
    assert accrue(rules, SCALES, big, [], later).quantities == {2: D(5)}


def test_time_windows() -> None:
    lunch = When(days_of_week=["THU"], time_from="11:00", time_to="14:00")  # type: ignore[arg-type]
    assert applies(lunch, datetime(2026, 11, 26, 12, 0))
    assert not applies(lunch, datetime(2026, 11, 26, 14, 0))
    assert not applies(lunch, datetime(2026, 11, 27, 12, 0))
    night = When(time_from="22:00", time_to="02:00")  # type: ignore[arg-type]
    assert applies(night, datetime(2026, 11, 26, 1, 0)) and not applies(
        night, datetime(2026, 11, 26, 3, 0)
    )


def test_tiers_by_points_in_the_window() -> None:
    tiers = [
        TierRule(code=1, name="Member"),
        TierRule(code=2, name="Gold", points=D(500), points_wallet=2),
    ]
    assert tier_for(tiers, {"points:2:365": D(499)}) == 1
    assert tier_for(tiers, {"points:2:365": D(500)}) == 2


def test_the_next_tier_and_where_the_account_stands_against_it() -> None:
    tiers = [
        TierRule(code=1, name="Member"),
        TierRule(code=2, name="Gold", points=D(500), points_wallet=2, spend=D(300)),
        TierRule(code=3, name="Free", window_days=30),  # no threshold: never "next"
    ]
    assert next_tier(tiers, None) is tiers[1] and next_tier(tiers, 1) is tiers[1]
    assert next_tier(tiers, 2) is None
    stats = {"points:2:365": D(120), "spend:365": D(310)}
    points, spend = tier_goals(tiers[1], stats)
    assert (points.kind, points.have, points.need, points.reached) == ("points", 120, 500, False)
    assert (spend.kind, spend.wallet, spend.reached) == ("spend", None, True)


def test_what_the_next_automatic_conversion_lacks() -> None:
    automatic = Conversion(name="a", from_wallet=2, threshold=D(100), to_wallet=3)
    asked = Conversion(name="m", from_wallet=4, threshold=D(5), to_wallet=3, automatic=False)
    [found] = next_conversions([automatic, asked], {2: D(130), 4: D(9)})
    assert (found.rule, found.have, found.missing) == (automatic, 130, 70)
    [empty] = next_conversions([automatic], {})
    assert empty.missing == 100


amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)
categories = st.sampled_from(["FOOD", "ALCOHOL", "FEATURED", "GIFTCARD", "DESSERT"])


@st.composite
def checks(draw: st.DrawFn) -> CheckFacts:
    n = draw(st.integers(1, 6))
    lines = tuple(
        line(str(i), str(draw(amounts)), draw(categories), qty=str(draw(st.integers(1, 5))))
        for i in range(n)
    )
    return check(*lines)


@given(checks(), st.lists(amounts, max_size=3), st.sampled_from([None, 1, 2]))
def test_accrual_is_never_negative_and_follows_the_scale(
    c: CheckFacts, discounts: list[Decimal], tier: int | None
) -> None:
    result = accrue(DEMO, SCALES, c, [Discount("d", d) for d in discounts], AccountFacts(tier))
    for wallet, quantity in result.quantities.items():
        assert quantity >= 0
        assert quantity == quantity.quantize(Decimal(1).scaleb(-SCALES[wallet]))
    net = net_amounts(c, [Discount("d", d) for d in discounts])
    assert all(v >= 0 for v in net.values())
    assert sum(net.values(), D(0)) <= c.subtotal


@given(st.decimals(min_value=0, max_value=100_000, places=0), st.integers(1, 500))
def test_conversion_leaves_less_than_the_threshold(balance: Decimal, threshold: int) -> None:
    rule = Conversion(name="c", from_wallet=2, threshold=D(threshold), to_wallet=3)
    moves = conversions([rule], {2: balance})
    converted = sum((m.from_quantity for m in moves), D(0))
    assert 0 <= balance - converted < threshold
    assert converted % threshold == 0
    assert sum((m.to_quantity for m in moves), D(0)) == converted / threshold

"""Challenge rules: occurrence windows, audiences, progress from a check, completion,
and the configuration that defines them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from openpxs.config.challenges import Challenge, ChallengeAudience, ChallengeGoal
from openpxs.config.loader import ConfigError, load_config
from openpxs.domain.challenges import (
    Status,
    contribution,
    current_or_next,
    in_audience,
    may_join,
    occurrence_by_key,
    parse_occurrence_code,
    progress_of,
    reached,
    running_at,
    status_of,
)
from openpxs.domain.earning import CheckFacts, Line

ZONE = "America/New_York"
DEMO = Path(__file__).parents[2] / "src/openpxs/config/demo/merchant-1000.yaml"


def challenge(**overrides: Any) -> Challenge:
    data: dict[str, Any] = {
        "code": "VISIT3",
        "name": "Three visits",
        "schedule": {"start": "2026-01-05T00:00:00", "repeat": "weekly"},
        "goal": {"measure": "visits", "target": 3},
        "reward": {"wallet": 3, "quantity": 1},
        **overrides,
    }
    return Challenge.model_validate(data)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def check(*lines: Line, store: str = "1001", groups: frozenset[str] = frozenset()) -> CheckFacts:
    subtotal = sum((ln.amount for ln in lines), Decimal(0))
    return CheckFacts(lines=lines, subtotal=subtotal, store_code=store, store_groups=groups)


def line(line_id: str, item: str, amount: str, *categories: str, qty: str = "1") -> Line:
    return Line(line_id, item, frozenset(categories), Decimal(qty), Decimal(amount))


# --- occurrences ----------------------------------------------------------------------


def test_weekly_occurrences_follow_local_midnight_across_a_dst_change() -> None:
    weekly = challenge()
    # Sunday 1 November 2026 02:00 local: clocks go back an hour in New York.
    before = running_at(weekly, ZONE, at("2026-10-30T12:00:00"))
    after = running_at(weekly, ZONE, at("2026-11-03T12:00:00"))
    assert before is not None and after is not None
    assert before.code == "VISIT3.20261026"
    assert after.code == "VISIT3.20261102"
    assert before.start == at("2026-10-26T04:00:00")  # EDT, UTC-4
    assert before.end == at("2026-11-02T05:00:00")  # EST, UTC-5
    assert after.start == before.end


def test_an_occurrence_ends_at_its_end_instant_and_the_next_begins() -> None:
    weekly = challenge()
    last_moment = running_at(weekly, ZONE, at("2026-12-07T04:59:59"))
    first_moment = running_at(weekly, ZONE, at("2026-12-07T05:00:00"))
    assert last_moment is not None and last_moment.key == "20261130"
    assert first_moment is not None and first_moment.key == "20261207"


def test_monthly_occurrences_keep_the_day_or_take_the_last_day_of_a_short_month() -> None:
    monthly = challenge(schedule={"start": "2026-01-31T09:00:00", "repeat": "monthly"})
    february = running_at(monthly, ZONE, at("2026-03-01T12:00:00"))
    assert february is not None
    assert february.local_start == datetime(2026, 2, 28, 9, 0)
    # Each occurrence counts from the first start, so March starts on the 31st again.
    assert february.local_end == datetime(2026, 3, 31, 9, 0)
    march = running_at(monthly, ZONE, at("2026-04-01T12:00:00"))
    assert march is not None and march.local_start == datetime(2026, 3, 31, 9, 0)
    assert running_at(monthly, ZONE, at("2026-01-30T12:00:00")) is None


def test_one_off_challenge_has_one_occurrence_then_ends() -> None:
    once = challenge(schedule={"start": "2026-12-01T00:00:00", "end": "2026-12-24T18:00:00"})
    assert running_at(once, ZONE, at("2026-11-30T12:00:00")) is None
    upcoming = current_or_next(once, ZONE, at("2026-11-30T12:00:00"))
    assert upcoming is not None and upcoming.code == "VISIT3.20261201"
    assert current_or_next(once, ZONE, at("2026-12-24T23:00:01")) is None


def test_until_bounds_the_last_occurrence_of_a_recurring_challenge() -> None:
    bounded = challenge(
        schedule={"start": "2026-01-05T00:00:00", "repeat": "weekly", "until": "2026-01-12"}
    )
    assert current_or_next(bounded, ZONE, at("2026-01-13T12:00:00")) is not None
    assert current_or_next(bounded, ZONE, at("2026-01-20T12:00:00")) is None
    assert occurrence_by_key(bounded, ZONE, "20260119") is None


def test_occurrence_codes_name_only_real_starts() -> None:
    weekly = challenge()
    assert occurrence_by_key(weekly, ZONE, "20261130") is not None
    assert occurrence_by_key(weekly, ZONE, "20261201") is None  # a Tuesday
    assert occurrence_by_key(weekly, ZONE, "20251229") is None  # before the first
    assert occurrence_by_key(weekly, ZONE, "2026113") is None
    assert occurrence_by_key(weekly, ZONE, "notadate") is None
    # Near the calendar's end an occurrence's end cannot be told: no such occurrence.
    assert occurrence_by_key(weekly, ZONE, "99991231") is None
    monthly = challenge(schedule={"start": "2026-01-01T00:00:00", "repeat": "monthly"})
    assert occurrence_by_key(monthly, ZONE, "99991201") is None
    assert occurrence_by_key(monthly, ZONE, "20270301") is not None
    assert parse_occurrence_code("VISIT3.20261130") == ("VISIT3", "20261130")
    assert parse_occurrence_code("VISIT3") is None


def test_opting_in_opens_ahead_of_each_occurrence_by_the_same_lead() -> None:
    early = challenge(
        schedule={
            "start": "2026-01-05T00:00:00",
            "repeat": "weekly",
            "opt_in_from": "2026-01-02T00:00:00",
        }
    )
    first = current_or_next(early, ZONE, at("2026-01-01T12:00:00"))
    assert first is not None
    assert not may_join(first, at("2026-01-01T12:00:00"))
    assert may_join(first, at("2026-01-02T12:00:00"))
    assert status_of(first, at("2026-01-02T12:00:00"), taking_part=True, completed=False) == (
        Status.OPTED_IN
    )
    assert status_of(first, at("2026-01-06T12:00:00"), taking_part=True, completed=False) == (
        Status.IN_PROGRESS
    )
    assert status_of(first, at("2026-01-13T12:00:00"), taking_part=True, completed=False) == (
        Status.FAILED
    )


# --- audience -------------------------------------------------------------------------


def test_audience_needs_every_condition_it_names() -> None:
    everyone = ChallengeAudience()
    assert in_audience(everyone, tier=None, enrolled_on=date(2020, 1, 1), card_numbers=[])
    gold_new = ChallengeAudience(tiers=[2], enrolled_after=date(2026, 6, 1))
    assert in_audience(gold_new, tier=2, enrolled_on=date(2026, 6, 1), card_numbers=[])
    assert not in_audience(gold_new, tier=1, enrolled_on=date(2026, 7, 1), card_numbers=[])
    assert not in_audience(gold_new, tier=2, enrolled_on=date(2026, 5, 31), card_numbers=[])
    listed = ChallengeAudience(cards=["7000000000000001"])
    assert in_audience(
        listed, tier=None, enrolled_on=date(2026, 1, 1), card_numbers=["7000000000000001"]
    )
    assert not in_audience(
        listed, tier=None, enrolled_on=date(2026, 1, 1), card_numbers=["7000000000000002"]
    )


# --- progress -------------------------------------------------------------------------


def goal(**data: Any) -> ChallengeGoal:
    return ChallengeGoal.model_validate(data)


def test_a_check_counts_as_a_visit_only_with_enough_eligible_spend() -> None:
    visits = goal(measure="visits", target=3, min_spend="5.00", eligible={"categories": ["FOOD"]})
    food = check(line("1", "BURGER", "6.00", "FOOD"), line("2", "BEER", "9.00", "ALCOHOL"))
    assert contribution(visits, food, {"1": Decimal("6.00"), "2": Decimal("9.00")}, Decimal(0)) == 1
    # A discount brought the food under the minimum.
    assert contribution(visits, food, {"1": Decimal("4.00"), "2": Decimal("9.00")}, Decimal(0)) == 0
    drinks = check(line("1", "BEER", "30.00", "ALCOHOL"))
    assert contribution(visits, drinks, {"1": Decimal("30.00")}, Decimal(0)) == 0


def test_spend_counts_what_was_paid_for_eligible_lines() -> None:
    spend = goal(measure="spend", target="50", eligible={"categories": ["FOOD"]})
    facts = check(line("1", "STEAK", "30.00", "FOOD"), line("2", "WINE", "20.00", "ALCOHOL"))
    net = {"1": Decimal("25.00"), "2": Decimal("20.00")}
    assert contribution(spend, facts, net, Decimal(0)) == Decimal("25.00")


def test_items_count_quantities_and_points_count_the_accrual() -> None:
    items = goal(measure="items", target=5, eligible={"items": ["LATTE"]})
    facts = check(line("1", "LATTE", "9.00", qty="2"), line("2", "MUFFIN", "3.00"))
    assert contribution(items, facts, {}, Decimal(0)) == 2
    points = goal(measure="points", target=200, wallet=2)
    assert contribution(points, facts, {}, Decimal(37)) == 37


def test_stores_progress_counts_distinct_stores_and_excluded_stores_add_nothing() -> None:
    stores = goal(measure="stores", target=2, eligible={"store_groups": ["boston"]})
    boston = check(line("1", "TEA", "3.00"), store="1001", groups=frozenset({"boston"}))
    hq = check(line("1", "TEA", "3.00"), store="corp", groups=frozenset({"hq"}))
    assert contribution(stores, boston, {"1": Decimal(3)}, Decimal(0)) == 1
    assert contribution(stores, hq, {"1": Decimal(3)}, Decimal(0)) == 0
    one_store = progress_of(stores, [("1001", Decimal(1)), ("1001", Decimal(1))])
    assert one_store == 1 and not reached(stores, one_store)
    two = progress_of(stores, [("1001", Decimal(1)), ("1002", Decimal(1))])
    assert reached(stores, two)


# --- configuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"schedule": {"start": "2026-01-01T00:00:00"}}, "a one-off challenge needs an end"),
        (
            {"schedule": {"start": "2026-01-01T00:00:00", "end": "2026-01-01T00:00:00"}},
            "end must be after start",
        ),
        (
            {
                "schedule": {
                    "start": "2026-01-01T00:00:00",
                    "repeat": "weekly",
                    "end": "2026-02-01T00:00:00",
                }
            },
            "a recurring challenge has no end",
        ),
        ({"goal": {"measure": "points", "target": 10}}, "names the wallet"),
        ({"goal": {"measure": "visits", "target": "2.5"}}, "whole number"),
        ({"reward": {"wallet": 3}}, "give wallet and quantity together"),
        ({"reward": {"description": "nothing"}}, "wallet value, a badge or a donation"),
        ({"reward": {"donation": "5.00"}}, "needs charities"),
        (
            {
                "reward": {"donation": "5.00"},
                "opt_in": False,
                "charities": [{"code": "A", "name": "A"}],
            },
            "needs opt_in",
        ),
        ({"code": "HAS.DOT"}, "string_pattern_mismatch"),
    ],
)
def test_invalid_challenges_are_refused_with_a_reason(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        challenge(**overrides)
    text = str(refused.value) + " ".join(e["type"] for e in refused.value.errors())
    assert message in text


def test_file_errors_name_the_line_of_the_bad_challenge(tmp_path: Path) -> None:
    text = DEMO.read_text()
    # The demo's spend challenge names a wallet no file declares, and a tier.
    bad = text.replace(
        'reward: {description: $5 donation, donation: "5.00"}',
        'reward: {description: $5 donation, donation: "5.00", wallet: 99, quantity: 1}',
    ).replace("    opt_in: false\n", "    opt_in: false\n    audience: {tiers: [7]}\n")
    path = tmp_path / "merchant.yaml"
    path.write_text(bad)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    issues = {issue.field: issue for issue in refused.value.issues}
    wallet = issues["challenges[1].reward.wallet"]
    assert "wallet 99 is not declared" in wallet.reason
    assert bad.splitlines()[(wallet.line or 0) - 1].strip().startswith("reward:")
    tier = issues["challenges[2].audience.tiers[0]"]
    assert "tier 7 is not declared" in tier.reason
    assert "audience" in bad.splitlines()[(tier.line or 0) - 1]


def test_the_demo_merchant_has_challenges_that_validate() -> None:
    config = load_config(DEMO)
    codes = [c.code for c in config.challenges]
    assert codes == ["VISIT3", "FEAST50", "POINTS200", "TEAM10"]
    assert [c.kind for c in config.challenges] == ["individual"] * 3 + ["group"]
    visit3 = config.challenges[0]
    assert visit3.goal.target == 3 and visit3.reward.wallet == 3

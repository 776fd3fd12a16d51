"""Positions on a One To One cadence."""

import pytest

from openpxs.domain.cadence import position

RUNGS = [3, 7, 12]


@pytest.mark.parametrize(
    ("visits", "expected"),
    [(0, (3, 3)), (2, (1, 3)), (3, (4, 4)), (11, (1, 5)), (12, (3, 3)), (27, (4, 4))],
)
def test_positions_on_a_cycle_that_resets_at_the_last_rung(
    visits: int, expected: tuple[int, int]
) -> None:
    found = position(visits, RUNGS, 12)
    assert (found.visits_to_next, found.threshold) == expected


def test_past_the_last_rung_the_next_reward_is_in_the_next_cycle() -> None:
    found = position(13, RUNGS, 15)
    assert (found.visits_to_next, found.threshold) == (5, 6)

"""Where an account stands on a One To One cadence: a ladder of rewards by visit count
that starts over after a cycle of visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CadencePosition:
    visits_to_next: int
    # Visits between the previous reward (or the cycle's start) and the next one.
    threshold: int


def position(visits: int, rungs: Sequence[int], cycle: int) -> CadencePosition:
    """The position after ``visits`` lifetime visits on rungs at increasing visit counts
    (the last at most ``cycle``). A rung reached is behind: the next is ahead."""
    assert rungs and cycle >= rungs[-1] > 0
    into = max(visits, 0) % cycle
    previous = 0
    for rung in rungs:
        if rung > into:
            return CadencePosition(rung - into, rung - previous)
        previous = rung
    # Past the last rung, before the cycle starts over: the next is the first rung.
    return CadencePosition(cycle - into + rungs[0], cycle - rungs[-1] + rungs[0])

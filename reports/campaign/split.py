"""How a campaign's time is split: rounds, and within a round a slice per
unit (a fuzz target, or one explore setting: workload x strategy x cores)
proportional to how much that unit found lately, with a floor.

Why rounds: a unit's novelty rate (new fuzz features per second, new
distinct schedules per second) is only known after it ran; rounds let the
split follow it as it changes (a target that stopped finding new coverage
gets less of the next round, never nothing: the floor keeps every unit
alive, since coverage often comes back after a plateau).

Rule, per pool (fuzz and explore are separate pools: their rates are in
different units): units that never ran come first, at the minimum slice
each, in order, while the pool's round time lasts. Once all ran, unit i
gets  pool_time * (FLOOR_SHARE / n + (1 - FLOOR_SHARE) * r_i / sum(r)),
at least the minimum slice, where r_i is its novelty rate in its last
slice (all zero: equal shares).
"""

FLOOR_SHARE = 0.2   # of a pool's round shared equally among its units
ROUNDS_TARGET = 4   # a campaign aims at this many rounds (more if units are many)
UNITS_MAX = 4096    # units in one pool


class Unit:
    """One thing that can be given time; `rate` is its last novelty rate."""

    def __init__(self, key, min_slice_s):
        assert key and min_slice_s > 0
        self.key = key
        self.min_slice_s = min_slice_s
        self.rate = None      # None: never ran
        self.seconds = 0.0    # given so far
        self.rounds = 0

    def record(self, novelty, seconds):
        """After a slice: `novelty` new things found in `seconds`."""
        assert novelty >= 0 and seconds >= 0
        self.rate = novelty / seconds if seconds > 0 else 0.0
        self.seconds += seconds
        self.rounds += 1


def round_seconds(budget_s, min_total_s):
    """Length of one round: a ROUNDS_TARGET-th of the budget, but at least
    what one minimum slice for every unit takes."""
    assert budget_s > 0 and min_total_s >= 0
    length = max(budget_s / ROUNDS_TARGET, min_total_s)
    assert length > 0
    return length


def plan(units, pool_s):
    """[(unit, seconds)] for one round of one pool given pool_s seconds."""
    assert len(units) <= UNITS_MAX
    if not units or pool_s <= 0:
        return []
    fresh = [u for u in units if u.rate is None]
    if fresh:
        out, left = [], pool_s
        for u in fresh:
            if left < u.min_slice_s and out:
                break
            out.append((u, u.min_slice_s))
            left -= u.min_slice_s
        assert out
        return out
    total = sum(u.rate for u in units)
    n = len(units)
    out = []
    for u in units:
        share = FLOOR_SHARE / n + (1 - FLOOR_SHARE) * (u.rate / total if total > 0 else 1 / n)
        out.append((u, max(u.min_slice_s, pool_s * share)))
    assert len(out) == n
    return out

"""What a campaign changed, measured against its hold-out (decision 0016): the
difference in conversion rate with Newcombe's interval (from two Wilson intervals, sound
for small groups and rare conversions), the difference in revenue per member with
Welch's interval, and the incremental revenue and return they imply.

Side-effect free and without Django, like ``analytics/stats``: the results page hands
it counts and each member's revenue.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval at ``CONFIDENCE``."""

    estimate: float
    low: float
    high: float

    @property
    def distinguishable(self) -> bool:
        """Whether the interval leaves out zero: a difference the data can tell."""
        return self.low > 0 or self.high < 0


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """The share ``successes / trials`` with Wilson's score interval."""
    if trials <= 0:
        raise ValueError("trials must be positive")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    share = successes / trials
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half = z * sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / scale
    return Interval(share, max(centre - half, 0.0), min(centre + half, 1.0))


def rate_difference(
    converted: int, members: int, held_converted: int, held: int, confidence: float = CONFIDENCE
) -> Interval:
    """The contacted group's conversion rate minus the hold-out's, with Newcombe's
    hybrid score interval (his method 10)."""
    first = wilson(converted, members, confidence)
    second = wilson(held_converted, held, confidence)
    difference = first.estimate - second.estimate
    return Interval(
        difference,
        difference - sqrt((first.estimate - first.low) ** 2 + (second.high - second.estimate) ** 2),
        difference + sqrt((first.high - first.estimate) ** 2 + (second.estimate - second.low) ** 2),
    )


def mean_difference(
    contacted: np.ndarray, held: np.ndarray, confidence: float = CONFIDENCE
) -> Interval:
    """The mean of ``contacted`` minus the mean of ``held`` (each member's revenue,
    zeros included), with Welch's interval; a point without spread when neither group
    varies."""
    if contacted.size < 2 or held.size < 2:
        raise ValueError("each group needs at least two members")
    difference = float(contacted.mean() - held.mean())
    first = float(contacted.var(ddof=1)) / contacted.size
    second = float(held.var(ddof=1)) / held.size
    spread = first + second
    if spread == 0:
        return Interval(difference, difference, difference)
    freedom = spread**2 / (first**2 / (contacted.size - 1) + second**2 / (held.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, freedom)) * sqrt(spread)
    return Interval(difference, difference - half, difference + half)


@dataclass(frozen=True)
class Lift:
    """A campaign against its hold-out: the differences per member, and what they come
    to over the contacted group; ``incremental_return`` is None without a cost."""

    rate: Interval
    revenue_per_member: Interval
    incremental_revenue: Interval
    incremental_return: Interval | None


def lift(
    *, contacted_revenue: np.ndarray, held_revenue: np.ndarray, converted: int,
    held_converted: int, cost: float, confidence: float = CONFIDENCE,
) -> Lift:  # fmt: skip
    """The lift of a campaign whose contacted members brought ``contacted_revenue``
    (one value a member) and ``converted`` conversions, its hold-out ``held_revenue``
    and ``held_converted``, at ``cost``."""
    members = int(contacted_revenue.size)
    rate = rate_difference(converted, members, held_converted, int(held_revenue.size), confidence)
    per_member = mean_difference(contacted_revenue, held_revenue, confidence)
    incremental = Interval(
        per_member.estimate * members, per_member.low * members, per_member.high * members
    )
    returned = None
    if cost > 0:
        returned = Interval(
            (incremental.estimate - cost) / cost,
            (incremental.low - cost) / cost,
            (incremental.high - cost) / cost,
        )
    return Lift(rate, per_member, incremental, returned)

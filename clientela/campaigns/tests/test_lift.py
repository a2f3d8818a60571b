"""The lift over the hold-out, checked against cases worked by hand (Wilson and Newcombe
for the conversion rates, Welch for the revenue per member)."""

import numpy as np
import pytest

from clientela.campaigns.lift import lift, mean_difference, rate_difference, wilson


def test_wilsons_interval_of_60_in_1000():
    # centre (0.06 + z²/2000) / (1 + z²/1000), half z·√(0.06·0.94/1000 + z²/4·10⁶) / (1 + z²/1000)
    interval = wilson(60, 1000)

    assert interval.low == pytest.approx(0.046896, abs=1e-6)
    assert interval.high == pytest.approx(0.076471, abs=1e-6)


def test_a_lift_of_three_points_on_a_hold_out_of_100_is_not_distinguishable_from_zero():
    # 6 % of 1,000 contacted against 3 % of 100 held out: Wilson gives (0.046896, 0.076471)
    # and (0.010255, 0.084519); Newcombe: 0.03 − √(0.013104² + 0.054519²) = −0.026072,
    # 0.03 + √(0.016471² + 0.019745²) = 0.055713.
    difference = rate_difference(60, 1000, 3, 100)

    assert difference.estimate == pytest.approx(0.03)
    assert difference.low == pytest.approx(-0.026072, abs=1e-6)
    assert difference.high == pytest.approx(0.055713, abs=1e-6)
    assert not difference.distinguishable


def test_a_lift_of_seven_points_is_told_apart():
    difference = rate_difference(120, 1000, 5, 100)

    assert difference.low == pytest.approx(0.005480, abs=1e-6)
    assert difference.high == pytest.approx(0.105731, abs=1e-6)
    assert difference.distinguishable


def test_revenue_per_member_with_welchs_interval():
    # means 40 and 20; variances 2,666.67 and 1,777.78 over 10 each: se = √444.44 = 21.082,
    # Welch–Satterthwaite 17.31 degrees of freedom, t = 2.1069: 20 ± 44.419
    contacted = np.array([0] * 6 + [100] * 4, dtype=float)
    held = np.array([0] * 8 + [100] * 2, dtype=float)

    difference = mean_difference(contacted, held)

    assert difference.estimate == pytest.approx(20)
    assert difference.low == pytest.approx(-24.419, abs=1e-3)
    assert difference.high == pytest.approx(64.419, abs=1e-3)


def test_the_incremental_revenue_and_return_scale_the_difference_to_the_contacted():
    contacted = np.array([0] * 6 + [100] * 4, dtype=float)
    held = np.array([0] * 8 + [100] * 2, dtype=float)

    result = lift(
        contacted_revenue=contacted, held_revenue=held, converted=4, held_converted=2, cost=50
    )

    assert result.incremental_revenue.estimate == pytest.approx(200)  # 20 a member × 10
    assert result.incremental_return.estimate == pytest.approx(3)  # (200 − 50) / 50
    assert result.incremental_return.low == pytest.approx((-244.19 - 50) / 50, abs=1e-3)
    assert lift(contacted_revenue=contacted, held_revenue=held, converted=4, held_converted=2,
                cost=0).incremental_return is None  # fmt: skip


def test_groups_without_spread_give_a_point():
    flat = np.zeros(5)

    assert mean_difference(flat, flat).low == mean_difference(flat, flat).high == 0

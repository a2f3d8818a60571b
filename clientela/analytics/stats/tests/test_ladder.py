import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientela.analytics.stats import ladder
from clientela.analytics.stats.ladder import LadderRules

END = np.datetime64("2024-12-31")


def _stages(customer_ids, dates, *, rules=None, end=END, **extra):
    rules = rules or LadderRules()
    regularity = ladder.purchase_regularity(
        customer_ids, dates, observation_end=end, window_days=rules.window_days
    )
    codes = ladder.ladder_stages(
        purchases=regularity.purchases,
        recent_purchases=regularity.recent_purchases,
        gap_count=regularity.gap_count,
        gap_sum=regularity.gap_sum,
        gap_square_sum=regularity.gap_square_sum,
        days_since_last=regularity.days_since_last,
        rules=rules,
        **extra,
    )
    keys = ladder.stage_keys(codes).tolist()
    return dict(zip(regularity.customer_ids.tolist(), keys, strict=True))


def _every(days: int, start: str, count: int) -> list[np.datetime64]:
    return [np.datetime64(start) + days * i for i in range(count)]


def test_purchases_climb_from_buyer_to_regular():
    # given a one-off buyer, an irregular repeat buyer and a fortnightly one
    irregular = [np.datetime64(d) for d in ("2024-01-02", "2024-01-05", "2024-06-20", "2024-12-20")]
    fortnightly = _every(14, "2024-07-01", 14)
    ids = [1] + [2] * len(irregular) + [3] * len(fortnightly)
    dates = [np.datetime64("2024-05-01"), *irregular, *fortnightly]

    # when placed on the ladder
    stages = _stages(ids, dates)

    # then each is on the rung their buying earns
    assert stages == {1: "buyer", 2: "occasional", 3: "regular"}


def test_several_orders_on_one_day_are_one_purchase():
    stages = _stages([1, 1, 1], ["2024-03-01", "2024-03-01", "2024-03-01"])

    assert stages == {1: "buyer"}


def test_a_regular_customer_who_went_silent_is_occasional():
    # given a weekly buyer whose last purchase was ten weeks ago (more than 3 gaps)
    dates = _every(7, "2024-06-01", 20)
    assert dates[-1] == np.datetime64("2024-10-12")

    # then they are no longer regular; without the silence rule they would be
    assert _stages([7] * 20, dates) == {7: "occasional"}
    assert _stages([7] * 20, dates, rules=LadderRules(regular_max_silence=None)) == {7: "regular"}


def test_regular_needs_enough_purchases_in_the_window():
    # given four purchases 30 days apart, the last on the observation end
    dates = ["2024-10-02", "2024-11-01", "2024-12-01", "2024-12-31"]

    # then they are regular; not when five are needed, nor in a 60-day window
    assert _stages([1] * 4, dates) == {1: "regular"}
    assert _stages([1] * 4, dates, rules=LadderRules(regular_min_purchases=5)) == {1: "occasional"}
    assert _stages([1] * 4, dates, rules=LadderRules(window_days=60)) == {1: "occasional"}


def test_the_variation_threshold_is_configurable():
    # gaps of 10 and 30 days: coefficient of variation 0.5
    dates = ["2024-11-21", "2024-12-01", "2024-12-31"]

    assert _stages([1] * 3, dates, rules=LadderRules(regular_min_purchases=3)) == {1: "regular"}
    strict = LadderRules(regular_min_purchases=3, regular_max_variation=0.49)
    assert _stages([1] * 3, dates, rules=strict) == {1: "occasional"}


def test_exclusive_needs_regular_buying_and_the_share_of_wallet():
    # given two identical regular buyers and an occasional one
    weekly = _every(7, "2024-10-01", 14)
    ids = [1] * 14 + [2] * 14 + [3, 3]
    dates = [*weekly, *weekly, np.datetime64("2024-01-01"), np.datetime64("2024-12-01")]

    # when the first buys 95% of their needs from us, the second an unknown share and the
    # occasional one all of them
    stages = _stages(ids, dates, share_of_wallet=[0.95, math.nan, 1.0])

    # then only the first is exclusive
    assert stages == {1: "exclusive", 2: "regular", 3: "occasional"}


def test_advocates_referred_customers_who_bought():
    ids = [1, 2, 3, 3]
    dates = ["2024-05-01", "2024-05-01", "2024-01-01", "2024-02-01"]

    stages = _stages(ids, dates, referred_buyers=[1, 0, 2])
    assert stages == {1: "advocate", 2: "buyer", 3: "advocate"}

    two = LadderRules(advocate_min_referrals=2)
    assert _stages(ids, dates, rules=two, referred_buyers=[1, 0, 2])[1] == "buyer"


def test_customers_without_purchases_are_possible_or_potential():
    codes = ladder.ladder_stages(
        purchases=[0, 0, 0],
        recent_purchases=[0, 0, 0],
        gap_count=[0, 0, 0],
        gap_sum=[0, 0, 0],
        gap_square_sum=[0, 0, 0],
        days_since_last=[math.nan] * 3,
        prospect=[False, True, False],
        referred_buyers=[0, 0, 1],
        rules=LadderRules(advocate_min_purchases=1),
    )

    # a referral by someone who never bought does not make an advocate by default
    assert ladder.stage_keys(codes).tolist() == ["possible", "potential", "possible"]


def test_regularity_figures():
    # given purchases on days 0, 10, 40 (window holds the last two) and 40 again
    regularity = ladder.purchase_regularity(
        [5, 5, 5, 5, 9],
        ["2024-01-01", "2024-01-11", "2024-02-10", "2024-02-10", "2025-01-01"],
        observation_end="2024-02-20",
        window_days=45,
    )

    assert regularity.customer_ids.tolist() == [5]  # the 2025 row is after the end
    assert regularity.purchases.tolist() == [3]
    assert regularity.recent_purchases.tolist() == [2]
    # the gap into the window (10 days) counts, and the one inside it (30)
    assert regularity.gap_count.tolist() == [2]
    assert regularity.gap_sum.tolist() == [40.0]
    assert regularity.gap_square_sum.tolist() == [1000.0]
    assert regularity.days_since_last.tolist() == [10]
    variation = ladder.interval_variation(
        regularity.gap_count, regularity.gap_sum, regularity.gap_square_sum
    )
    assert variation == pytest.approx([0.5])


def test_interval_variation_is_nan_without_gaps():
    assert np.isnan(ladder.interval_variation([0, 2], [0, 0], [0, 0])).tolist() == [True, True]
    assert ladder.interval_variation([1], [7], [49]).tolist() == [0.0]


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="regular_min_purchases"):
        LadderRules(regular_min_purchases=1)
    with pytest.raises(ValueError, match="exclusive_min_share"):
        LadderRules(exclusive_min_share=90)


def test_stage_codes_round_trip():
    keys = np.asarray(["buyer", "", "advocate", "possible"])

    assert ladder.stage_codes(keys).tolist() == [2, -1, 6, 0]
    assert ladder.stage_keys([2, 6]).tolist() == ["buyer", "advocate"]
    assert ladder.stage_codes(np.asarray([], dtype=str)).tolist() == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 800)), min_size=1, max_size=80),
    st.randoms(use_true_random=False),
)
def test_regularity_matches_a_plain_loop_and_ignores_order(rows, shuffler):
    # given any purchase log, and the same log shuffled
    ids = np.array([r[0] for r in rows])
    dates = np.datetime64("2022-01-01") + np.array([r[1] for r in rows])
    end = np.datetime64("2023-12-31")
    order = list(range(len(rows)))
    shuffler.shuffle(order)

    result = ladder.purchase_regularity(ids, dates, observation_end=end, window_days=200)
    shuffled = ladder.purchase_regularity(
        ids[order], dates[order], observation_end=end, window_days=200
    )

    # then each customer's figures are those a loop over their days gives
    for index, customer in enumerate(result.customer_ids.tolist()):
        days = sorted(
            {
                int((d - end).astype(int))
                for c, d in zip(ids, dates, strict=True)
                if c == customer and d <= end
            }
        )
        gaps = [b - a for a, b in itertools.pairwise(days) if b > -200]
        assert result.purchases[index] == len(days)
        assert result.recent_purchases[index] == sum(d > -200 for d in days)
        assert result.gap_count[index] == len(gaps)
        assert result.gap_sum[index] == sum(gaps)
        assert result.gap_square_sum[index] == sum(g * g for g in gaps)
        assert result.days_since_last[index] == -days[-1]
    for name in ("customer_ids", "purchases", "gap_sum", "gap_square_sum", "days_since_last"):
        assert np.array_equal(getattr(result, name), getattr(shuffled, name))

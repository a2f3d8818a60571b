import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientela.analytics.stats import rfm

values = st.lists(st.integers(0, 6), min_size=1, max_size=60)


def test_distinct_values_fill_the_five_scores_evenly():
    # given ten customers with distinct spend
    monetary = np.arange(10.0)

    # when scored
    scores = rfm.rank_scores(monetary)

    # then each score holds two customers, the biggest spenders 5
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_recency_scores_reward_recent_customers():
    assert rfm.rank_scores([1.0, 300.0, 30.0], higher_is_better=False).tolist() == [4, 1, 2]


def test_ties_share_the_score_their_group_starts_in():
    # given six one-purchase customers among ten
    frequency = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])

    # when scored
    scores = rfm.rank_scores(frequency)

    # then they all get 1, and the next value jumps to the score of its rank
    assert scores.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


@settings(max_examples=200, deadline=None)
@given(values, st.integers(1, 7), st.booleans())
def test_each_score_counts_the_customers_strictly_worse(data, bins, higher_is_better):
    scores = rfm.rank_scores(data, bins=bins, higher_is_better=higher_is_better)

    for value, score in zip(data, scores, strict=True):
        worse = sum((other < value) if higher_is_better else (other > value) for other in data)
        assert score == 1 + bins * worse // len(data)


@settings(max_examples=100, deadline=None)
@given(values, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_order_and_ties_share_scores(data, shuffler):
    # given any values with ties, and a shuffled copy
    data = np.array(data, dtype=float)
    order = list(range(data.size))
    shuffler.shuffle(order)

    # when both are scored
    scores = rfm.rank_scores(data)
    shuffled = rfm.rank_scores(data[order])

    # then each customer keeps their score, equal values share one and better is not lower
    np.testing.assert_array_equal(shuffled, scores[order])
    assert ((scores >= 1) & (scores <= 5)).all()
    for value in np.unique(data):
        assert np.unique(scores[data == value]).size == 1
    ranked = np.argsort(data, kind="stable")
    assert (np.diff(scores[ranked]) >= 0).all()


def test_default_rules_name_every_score_combination():
    # given every (R, F, M) combination of 1..5
    combos = np.array(list(itertools.product(range(1, 6), repeat=3)))

    # when segmented with the default rules
    segments = rfm.segment(combos[:, 0], combos[:, 1], combos[:, 2])

    # then each gets one of the eleven named segments
    assert set(segments.tolist()) == set(rfm.SEGMENT_NAMES)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((5, 5, 5), "champions"),
        ((5, 1, 1), "new"),
        ((4, 1, 1), "promising"),
        ((4, 5, 4), "loyal"),
        ((5, 3, 2), "potential_loyalist"),
        ((3, 3, 3), "need_attention"),
        ((3, 1, 2), "about_to_sleep"),
        ((2, 4, 3), "at_risk"),
        ((1, 5, 5), "cant_lose"),
        ((2, 1, 2), "hibernating"),
        ((1, 1, 1), "lost"),
    ],
)
def test_default_segments(scores, expected):
    recency, frequency, monetary = scores

    assert rfm.segment([recency], [frequency], [monetary]).tolist() == [expected]


def test_rules_and_names_are_configurable():
    # given a two-rule table and custom names
    rules = (
        rfm.SegmentRule("vip", monetary=(5, 5)),
        rfm.SegmentRule("sleeping", recency=(1, 2)),
    )

    # when customers are segmented
    segments = rfm.segment([5, 1, 3], [1, 1, 1], [5, 2, 2], rules=rules, default="rest")

    # then the first matching rule wins, and unmatched customers get the default
    assert segments.tolist() == ["vip", "sleeping", "rest"]
    assert rfm.segment_names(segments, {"vip": "VIP"}).tolist() == ["VIP", "sleeping", "rest"]


def test_rfm_scores_and_segments_customers():
    # given ten customers: recent big spenders first, lapsed small ones last
    recency = np.arange(10.0)
    frequency = np.arange(10.0)[::-1]
    monetary = np.arange(10.0)[::-1] * 10

    # when scored
    result = rfm.rfm(recency, frequency, monetary)

    # then the best are champions and the worst lost
    assert result.recency_score.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert result.segment[0] == "champions"
    assert result.segment[-1] == "lost"
    assert [result.segment_keys[index] for index in result.segment_index] == list(result.segment)
    assert rfm.segment_names(result.segment)[0] == "Champions"

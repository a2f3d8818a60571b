import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientela.analytics.stats.pareto import CLASSES, pareto_classes


def test_the_fewest_customers_making_80_percent_are_a():
    # given revenues 50, 20, 10, 10, 5, 5 (total 100)
    revenue = np.array([10.0, 50.0, 5.0, 20.0, 10.0, 5.0])

    # when classified
    result = pareto_classes(revenue)

    # then 50+20+10 = 80 are A (the first of the tied 10s by position), up to 95 B
    assert result.classes.tolist() == ["A", "A", "B", "A", "B", "C"]
    assert [CLASSES[index] for index in result.class_index] == result.classes.tolist()
    assert result.class_counts == {"A": 3, "B": 2, "C": 1}
    assert result.class_revenue == {"A": 80.0, "B": 15.0, "C": 5.0}


def test_ties_are_broken_by_the_tie_breaker_then_by_position():
    revenue = np.array([10.0, 10.0, 10.0, 10.0, 10.0])

    by_position = pareto_classes(revenue)
    by_id = pareto_classes(revenue, tie_breaker=np.array([5, 4, 3, 2, 1]))

    assert by_position.classes.tolist() == ["A", "A", "A", "A", "B"]
    assert by_id.classes.tolist() == ["B", "A", "A", "A", "A"]


def test_customers_without_revenue_are_c():
    result = pareto_classes(np.array([0.0, 100.0, 0.0, -5.0]), a_share=1.0, b_share=1.0)

    assert result.classes.tolist() == ["C", "A", "C", "C"]


def test_no_revenue_at_all_makes_everyone_c():
    result = pareto_classes(np.zeros(3))

    assert result.classes.tolist() == ["C", "C", "C"]
    assert result.top_share == 0.0


def test_curve_and_top_share():
    # given five customers, one making 60%
    revenue = np.array([60.0, 10.0, 10.0, 10.0, 10.0])

    result = pareto_classes(revenue)

    np.testing.assert_allclose(result.customer_share, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(result.revenue_share, [0, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert result.top_share == pytest.approx(0.6)


def test_thresholds_are_configurable():
    revenue = np.array([40.0, 30.0, 20.0, 10.0])

    result = pareto_classes(revenue, a_share=0.5, b_share=0.7)

    assert result.classes.tolist() == ["A", "A", "C", "C"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(0.0), st.integers(1, 5).map(float), st.floats(0.0, 1e6)),
        min_size=1,
        max_size=80,
    )
)
def test_classes_are_a_minimal_prefix_of_the_ranking(values):
    # given any revenues, with ties and zeros
    revenue = np.array(values)
    total = revenue.sum()

    # when classified
    result = pareto_classes(revenue)

    # then A is the shortest top run reaching 80%, B reaches 95%, zero revenue is C
    ranked_classes = result.classes[result.rank_order]
    ranked = revenue[result.rank_order]
    assert (np.diff(ranked) <= 0).all()
    order = {"A": 0, "B": 1, "C": 2}
    assert (np.diff([order[c] for c in ranked_classes]) >= 0).all()
    assert (result.classes[revenue == 0] == "C").all()
    if total > 0:
        a = int((ranked_classes == "A").sum())
        assert ranked[:a].sum() >= 0.8 * total * (1 - 1e-9)
        assert ranked[: a - 1].sum() < 0.8 * total
        assert 0.0 <= result.top_share <= 1.0
    assert result.revenue_share[0] == 0.0
    assert (np.diff(result.revenue_share) >= -1e-12).all()

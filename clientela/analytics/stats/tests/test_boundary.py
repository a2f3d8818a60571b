"""Fits whose optimum lies at the edge of the parameter space: recognised as the limiting
model, with usable predictions, and stable when the data move by one customer."""

import numpy as np
import pytest

from clientela.analytics.stats import btyd, simulate
from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd

from .conftest import DATA


def _ages(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(200.0, 1000.0, n)


@pytest.fixture(scope="module")
def demo():
    table = np.loadtxt(DATA / "demo_customers_summary.csv", delimiter=",", skiprows=1)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def test_bgnbd_with_one_dropout_chance_for_everyone_is_a_boundary_fit():
    # given customers who all leave with the same 5 % chance after each purchase
    # (Beta(a, b) collapsed to one value: a, b → ∞ with a/(a+b) = 0.05)
    truth = btyd.BGNBDParameters(r=0.7, alpha=25.0, a=0.05e9, b=0.95e9)
    customers = simulate.simulate_bgnbd(truth, _ages(6_000, 1), seed=5)

    # when fitted
    fit = bgnbd.fit(customers.frequency, customers.recency, customers.T)

    # then the fit is the limit, converged, with r, α and p near the truth
    assert fit.converged
    assert fit.boundary is not None and fit.boundary.kind == "same_dropout"
    for name, value in {"r": 0.7, "alpha": 25.0, "p": 0.05}.items():
        estimate, error = fit.boundary.parameters[name], fit.boundary.standard_errors[name]
        assert abs(estimate - value) < 3 * error, (name, estimate, error)
    # and its likelihood is at least that of any interior point of the full model
    near = btyd.BGNBDParameters(
        fit.boundary.parameters["r"], fit.boundary.parameters["alpha"], 0.05 * 1e4, 0.95 * 1e4
    )
    args = customers.frequency, customers.recency, customers.T
    assert fit.log_likelihood >= bgnbd.log_likelihood(near, *args).sum() - 1e-6


def test_bgnbd_limit_predictions_are_the_limit_of_the_full_formulas():
    # given a boundary fit's parameters and the full model just short of the boundary
    limit = btyd.BGNBDParameters(
        r=0.7, alpha=25.0, a=0.02 * bgnbd.LIMIT_SCALE, b=0.98 * bgnbd.LIMIT_SCALE
    )
    near = btyd.BGNBDParameters(r=0.7, alpha=25.0, a=0.02e6, b=0.98e6)
    x = np.array([0, 1, 4, 20, 60])
    t_x = np.array([0, 30, 200, 147, 700])
    T = np.array([50, 300, 400, 355, 720])

    # then probability alive and expected purchases agree to the limit's precision
    for function in (bgnbd.probability_alive,):
        np.testing.assert_allclose(function(limit, x, t_x, T), function(near, x, t_x, T), rtol=1e-3)
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(limit, 90, x, t_x, T),
        bgnbd.conditional_expected_purchases(near, 90, x, t_x, T),
        rtol=1e-3,
    )
    np.testing.assert_allclose(
        bgnbd.log_likelihood(limit, x, t_x, T), bgnbd.log_likelihood(near, x, t_x, T), rtol=1e-5
    )


def test_bgnbd_where_nobody_leaves_is_the_nbd():
    # given customers who never leave (p → 0)
    truth = btyd.BGNBDParameters(r=0.7, alpha=25.0, a=1e-3, b=1e9)
    customers = simulate.simulate_bgnbd(truth, _ages(4_000, 2), seed=6)

    fit = bgnbd.fit(customers.frequency, customers.recency, customers.T)

    # then it is recognised as nobody leaving: everyone alive, purchases at (r+x)/(α+T)
    assert fit.converged
    assert fit.boundary is not None and fit.boundary.kind == "no_dropout"
    x, t_x, T = customers.frequency[:50], customers.recency[:50], customers.T[:50]
    np.testing.assert_allclose(bgnbd.probability_alive(fit.parameters, x, t_x, T), 1, atol=1e-3)
    r, alpha = fit.boundary.parameters["r"], fit.boundary.parameters["alpha"]
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(fit.parameters, 90, x, t_x, T),
        (r + x) * 90 / (alpha + T),
        rtol=1e-3,
    )


def test_paretonbd_where_nobody_leaves_is_the_nbd():
    # given customers with no dropout at all (s → 0)
    truth = btyd.ParetoNBDParameters(r=0.7, alpha=25.0, s=1e-12, beta=10.0)
    customers = simulate.simulate_paretonbd(truth, _ages(4_000, 3), seed=7)

    fit = paretonbd.fit(customers.frequency, customers.recency, customers.T)

    assert fit.converged
    assert fit.boundary is not None and fit.boundary.kind == "no_dropout"
    for name, value in {"r": 0.7, "alpha": 25.0}.items():
        estimate, error = fit.boundary.parameters[name], fit.boundary.standard_errors[name]
        assert abs(estimate - value) < 3 * error, (name, estimate, error)
    x, t_x, T = customers.frequency[:50], customers.recency[:50], customers.T[:50]
    assert (paretonbd.probability_alive(fit.parameters, x, t_x, T) == 1).all()
    np.testing.assert_allclose(
        paretonbd.conditional_expected_purchases(fit.parameters, 90, x, t_x, T),
        (fit.parameters.r + x) * 90 / (fit.parameters.alpha + T),
        rtol=1e-9,
    )
    assert np.isfinite(paretonbd.log_likelihood(fit.parameters, x, t_x, T)).all()


def test_interior_fits_are_not_boundaries():
    truth = btyd.BGNBDParameters(r=0.25, alpha=4.0, a=0.8, b=2.5)
    customers = simulate.simulate_bgnbd(truth, np.full(5_000, 35.0), seed=11)

    fit = bgnbd.fit(customers.frequency, customers.recency, customers.T)

    assert fit.converged and fit.boundary is None


def _mean_clv(x, t_x, T, m):
    purchase = bgnbd.fit(x, t_x, T)
    spend = gammagamma.fit(x, m)
    clv = btyd.customer_lifetime_value(purchase.parameters, spend.parameters, x, t_x, T, m)
    return purchase, float(clv.mean())


@pytest.mark.parametrize("days_since_the_order", [0, 1, 30, 365, 1000])
def test_one_more_customer_leaves_the_demo_scores_stable(demo, days_since_the_order):
    # given the demo bakery's customers, whose BG/NBD optimum is at the boundary
    x, t_x, T, m = demo
    before, mean_before = _mean_clv(x, t_x, T, m)

    # when one customer with a single $580 order is added
    after, mean_after = _mean_clv(
        np.append(x, 0), np.append(t_x, 0), np.append(T, days_since_the_order), np.append(m, 0)
    )

    # then both fits are the same usable limit and the mean lifetime value barely moves
    assert before.converged and after.converged
    assert before.boundary.kind == after.boundary.kind == "same_dropout"
    assert mean_after == pytest.approx(mean_before, rel=0.02)

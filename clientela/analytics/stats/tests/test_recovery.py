"""Simulate customers with known parameters, fit, and get the parameters back."""

import numpy as np
import pytest

from clientela.analytics.stats import btyd, simulate
from clientela.analytics.stats.btyd import _fitting, bgnbd, gammagamma, paretonbd
from clientela.analytics.stats.summary import transaction_summary

BG = btyd.BGNBDParameters(r=0.25, alpha=4.0, a=0.8, b=2.5)
PARETO = btyd.ParetoNBDParameters(r=0.55, alpha=10.5, s=0.6, beta=11.7)
GG = btyd.GammaGammaParameters(p=6.0, q=3.8, gamma=15.0)


def _z_scores(fit, truth) -> np.ndarray:
    return (fit.parameters.as_array() - truth.as_array()) / fit.standard_errors.as_array()


def _ages(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(26.0, 39.0, n)


def test_bgnbd_recovers_its_parameters():
    # given 20,000 customers simulated from known BG/NBD parameters
    customers = simulate.simulate_bgnbd(BG, _ages(20_000, 1), seed=11)

    # when fitted
    fit = bgnbd.fit(customers.frequency, customers.recency, customers.T)

    # then each parameter is within 3 standard errors of the truth
    assert fit.converged
    assert np.all(np.abs(_z_scores(fit, BG)) < 3), fit


def test_paretonbd_recovers_its_parameters():
    # (s and β are strongly correlated and weakly identified: over 12 seeds at this size
    # their z-scores had mean -0.1 and sd 0.8, so this seed is a typical draw)
    customers = simulate.simulate_paretonbd(PARETO, _ages(8_000, 100), seed=0)

    fit = paretonbd.fit(customers.frequency, customers.recency, customers.T)

    assert fit.converged
    assert np.all(np.abs(_z_scores(fit, PARETO)) < 3), fit


def test_gammagamma_recovers_its_parameters():
    frequency = np.random.default_rng(3).integers(0, 12, 20_000)
    spend = simulate.simulate_spend(GG, frequency, seed=13)

    fit = gammagamma.fit(frequency, spend.monetary_value)

    assert fit.converged
    assert fit.n_customers == int((frequency > 0).sum())
    assert np.all(np.abs(_z_scores(fit, GG)) < 3), fit


def test_bgnbd_recovers_its_parameters_from_dated_transactions():
    # given simulated transactions in days, turned into dates
    daily = btyd.BGNBDParameters(r=0.25, alpha=28.0, a=0.8, b=2.5)
    first = np.random.default_rng(4).integers(0, 90, 10_000)
    customers = simulate.simulate_bgnbd(daily, 365.0 - first, seed=14, transactions=True)
    dates = np.datetime64("2024-01-01") + (
        first[customers.transaction_customer] + np.floor(customers.transaction_time)
    ).astype("timedelta64[D]")

    # when summarised by day and fitted
    summary = transaction_summary(
        customers.transaction_customer, dates, observation_end="2024-12-31"
    )
    fit = bgnbd.fit(summary.frequency, summary.recency, summary.T)

    # then the parameters come back (same-day purchases and whole days bias them little)
    assert summary.customer_ids.size == 10_000
    assert np.all(np.abs(_z_scores(fit, daily)) < 3), fit


def _calibration_holdout(customers, calibration_age):
    """(x, t_x, T) at each customer's calibration age and the purchases after it."""
    time = customers.transaction_time
    customer = customers.transaction_customer
    n = customers.frequency.size
    in_calibration = time <= calibration_age[customer]
    frequency = np.bincount(customer[in_calibration], minlength=n) - 1
    recency = np.zeros(n)
    np.maximum.at(recency, customer[in_calibration], time[in_calibration])
    holdout = np.bincount(customer[~in_calibration], minlength=n)
    return frequency, recency, holdout


@pytest.mark.parametrize(
    ("model", "parameters", "draw"),
    [
        (bgnbd, BG, simulate.simulate_bgnbd),
        (paretonbd, PARETO, simulate.simulate_paretonbd),
    ],
)
def test_conditional_expectation_and_probability_alive_match_simulation(model, parameters, draw):
    # given customers simulated over a calibration period and a 26-week holdout
    calibration_age = _ages(40_000, 5)
    horizon = 26.0
    customers = draw(parameters, calibration_age + horizon, seed=15, transactions=True)
    alive_at_calibration = draw(parameters, calibration_age, seed=15)
    frequency, recency, holdout = _calibration_holdout(customers, calibration_age)

    # when the model predicts the holdout from the calibration summary
    predicted = model.conditional_expected_purchases(
        parameters, horizon, frequency, recency, calibration_age
    )
    alive = model.probability_alive(parameters, frequency, recency, calibration_age)

    # then the predicted total is within 3 standard errors of the simulated one
    error = holdout.std() / np.sqrt(holdout.size)
    assert abs(predicted.mean() - holdout.mean()) < 3 * error
    # and the mean P(alive) is the share alive in a fresh simulation at the same ages
    alive_error = alive_at_calibration.alive.std() / np.sqrt(alive.size)
    assert abs(alive.mean() - alive_at_calibration.alive.mean()) < 3 * alive_error + 0.01


@pytest.mark.parametrize("model", ["bgnbd", "gammagamma"])
def test_a_fit_on_many_customers_started_from_a_sample_ends_where_a_cold_one_does(
    model, monkeypatch
):
    # given 20,000 customers, all different, and a warm start from 5,000 rows on
    monkeypatch.setattr(_fitting, "WARM_START_ROWS", 5_000)
    customers = simulate.simulate_bgnbd(BG, _ages(20_000, 5), seed=15)
    spend = simulate.simulate_spend(GG, customers.frequency, seed=16)
    if model == "bgnbd":
        module, data = bgnbd, (customers.frequency, customers.recency, customers.T)
    else:
        module, data = gammagamma, (customers.frequency, spend.monetary_value)

    # when fitted from a sample's optimum, as a fit of many rows is, and from the start
    warm = module.fit(*data)
    monkeypatch.setattr(_fitting, "WARM_START_ROWS", 10**9)
    cold = module.fit(*data)

    # then both reach the same optimum, with the same standard errors, in fewer steps
    assert warm.converged and cold.converged
    np.testing.assert_allclose(warm.parameters.as_array(), cold.parameters.as_array(), rtol=1e-6)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(
        warm.standard_errors.as_array(), cold.standard_errors.as_array(), rtol=1e-3
    )
    assert warm.iterations < cold.iterations

"""The scoring pipeline on simulated customers: which models it fits and why not, the
comparison fitted aside, and scores that follow the documented formulas."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from clientela.analytics.stats import btyd, rfm, scoring, simulate
from clientela.analytics.stats.pareto import pareto_classes
from clientela.analytics.stats.summary import TransactionSummary

PURCHASES = btyd.BGNBDParameters(r=0.8, alpha=40.0, a=0.6, b=3.0)
SPEND = btyd.GammaGammaParameters(p=6.0, q=4.0, gamma=60.0)


def summary_of(customers: int, *, amounts: bool = True, seed: int = 1) -> TransactionSummary:
    """``customers`` drawn from BG/NBD and Gamma-Gamma (days), as a summary."""
    rng = np.random.default_rng(seed)
    drawn = simulate.simulate_bgnbd(PURCHASES, rng.integers(200, 700, customers), seed=seed)
    x = drawn.frequency
    spend = simulate.simulate_spend(SPEND, x, seed=seed).monetary_value
    first = rng.uniform(20, 200, customers)
    return TransactionSummary(
        customer_ids=np.arange(customers),
        frequency=x,
        recency=np.floor(drawn.recency),
        T=np.floor(drawn.T),
        monetary_value=spend if amounts else None,
        total_amount=first + spend * x if amounts else None,
        observation_end=np.datetime64("2024-12-31"),
        time_unit="day",
        unit_multiplier=1.0,
    )


def test_expected_spend_is_gamma_gammas_for_every_customer():
    # given customers without repeat purchases, with a positive mean repeat spend, a
    # vanishing one, none (free orders) and less than none (refunds)
    x = np.array([0, 3, 3, 3, 3])
    spent = np.array([0.0, 50.0, 1e-12, 0.0, -20.0])
    p, q, gamma = SPEND.p, SPEND.q, SPEND.gamma

    # when their expected spend is worked out
    expected = scoring.expected_spend(SPEND, x, spent)

    # then it is p(γ + x·m̄)/(px + q - 1): the average customer's without repeat
    # purchases, the same limit for a spend of nothing however it is reached
    assert expected[0] == pytest.approx(SPEND.population_mean_spend)
    assert expected[1] == pytest.approx(p * (gamma + 3 * 50.0) / (3 * p + q - 1))
    assert expected[2:] == pytest.approx([p * gamma / (3 * p + q - 1)] * 3)


def test_models_the_data_cannot_support_are_skipped_with_a_code_and_the_counts():
    few = summary_of(8)
    options = scoring.ScoringOptions(
        models=("bgnbd", "gammagamma"), min_customers=10, min_spenders=10
    )

    fits = scoring.models_fit(few, options)

    assert fits.outcomes["bgnbd"].reason == "too_few_customers"
    assert (fits.outcomes["bgnbd"].count, fits.outcomes["bgnbd"].minimum) == (8, 10)
    assert fits.outcomes["paretonbd"].reason == "not_wanted"
    assert fits.outcomes["gammagamma"].reason == "too_few_spenders"
    assert fits.purchase_name is None and fits.spend is None

    fits = scoring.models_fit(summary_of(150, amounts=False), scoring.ScoringOptions())
    assert fits.outcomes["bgnbd"].usable and fits.outcomes["paretonbd"].usable
    assert fits.purchase_name == "bgnbd"
    assert fits.outcomes["gammagamma"].reason == "no_amounts"


def test_a_comparison_fitted_aside_scores_when_the_chosen_model_fails(monkeypatch):
    summary = summary_of(150)
    options = scoring.ScoringOptions(models=("bgnbd", "paretonbd"))

    # given a comparison fitted aside: it waits until settled
    with ThreadPoolExecutor(max_workers=1) as aside:
        fits = scoring.models_fit(summary, options, aside=aside)
        assert fits.purchase_name == "bgnbd"
        assert fits.outcomes["paretonbd"] is None and "paretonbd" in fits.pending
        fits.settle()
    assert fits.outcomes["paretonbd"].status == "fitted" and not fits.pending

    # when the chosen model fails, the comparison is waited for and scores
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.bgnbd, "fit", broken)
    with ThreadPoolExecutor(max_workers=1) as aside:
        fits = scoring.models_fit(summary, options, aside=aside)
    failed = fits.outcomes["bgnbd"]
    assert (failed.status, failed.reason, failed.error) == ("failed", "error", "overflow")
    assert fits.purchase_name == "paretonbd"


def test_the_scores_follow_the_documented_formulas():
    summary = summary_of(200)
    options = scoring.ScoringOptions(horizon=90, clv_months=6, monthly_discount_rate=0.02)
    pareto_revenue = summary.total_amount / 2

    scored = scoring.score(summary, options, pareto_revenue=pareto_revenue)

    fits, scores = scored.fits, scored.customers
    purchase, spend = fits.purchase.parameters, fits.spend.parameters
    x, t_x, age = summary.frequency, summary.recency, summary.T
    # the lifetime value is the statistics library's, the value if alive beside it
    clv = btyd.customer_lifetime_value(
        purchase, spend, x, t_x, age, summary.monetary_value, months=6, monthly_discount_rate=0.02
    )
    np.testing.assert_allclose(scores.clv, clv, rtol=1e-12)
    np.testing.assert_allclose(scores.clv, scores.probability_alive * scores.value_if_alive)
    np.testing.assert_allclose(
        scores.expected_purchases,
        btyd.conditional_expected_purchases(purchase, 90, x, t_x, age),
        rtol=1e-9,
    )
    # RFM: days since the last purchase, purchases, revenue; Pareto on the revenue given
    expected_rfm = rfm.rfm(age - t_x, x + 1, summary.total_amount)
    assert (scores.rfm.segment == expected_rfm.segment).all()
    assert (scores.pareto.classes == pareto_classes(pareto_revenue).classes).all()
    # the value at stake is the value if alive when both models are usable
    assert scoring.value_at_stake(summary, scores) is scores.value_if_alive

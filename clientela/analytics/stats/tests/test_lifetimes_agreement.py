"""Agreement with the lifetimes package (the oracle) at the same parameters and inputs."""

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

from clientela.analytics.stats import btyd
from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd

BG = btyd.BGNBDParameters(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
# alpha >= beta and alpha < beta take different branches of the Pareto/NBD likelihood.
PARETO = [
    btyd.ParetoNBDParameters(r=0.5533, alpha=10.5776, s=0.6062, beta=11.6679),
    btyd.ParetoNBDParameters(r=0.8, alpha=14.0, s=1.3, beta=6.0),
]
GG = btyd.GammaGammaParameters(p=6.25, q=3.74, gamma=15.44)
HORIZONS = [0.5, 1.0, 10.0, 39.0, 520.0]


def _lifetimes_bgnbd(parameters: btyd.BGNBDParameters) -> BetaGeoFitter:
    model = BetaGeoFitter()
    model.params_ = pd.Series(
        {"r": parameters.r, "alpha": parameters.alpha, "a": parameters.a, "b": parameters.b}
    )
    model.predict = model.conditional_expected_number_of_purchases_up_to_time
    return model


def _lifetimes_paretonbd(parameters: btyd.ParetoNBDParameters) -> ParetoNBDFitter:
    model = ParetoNBDFitter()
    model.params_ = pd.Series(
        {"r": parameters.r, "alpha": parameters.alpha, "s": parameters.s, "beta": parameters.beta}
    )
    model.predict = model.conditional_expected_number_of_purchases_up_to_time
    return model


def _lifetimes_gammagamma(parameters: btyd.GammaGammaParameters) -> GammaGammaFitter:
    model = GammaGammaFitter()
    model.params_ = pd.Series({"p": parameters.p, "q": parameters.q, "v": parameters.gamma})
    return model


@pytest.fixture(scope="module")
def customers(cdnow_summary):
    return cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary.T


def test_bgnbd_log_likelihood_matches_lifetimes(customers):
    # given the CDNOW summary and BG/NBD parameters
    x, t_x, age = customers

    # when both compute the log-likelihood
    ours = bgnbd.log_likelihood(BG, x, t_x, age).sum()
    theirs = -BetaGeoFitter._negative_log_likelihood(
        np.log(BG.as_array()), x, t_x, age, np.ones_like(x), 0.0
    ) * len(x)

    # then they agree
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("parameters", PARETO)
def test_paretonbd_log_likelihood_matches_lifetimes(customers, parameters):
    x, t_x, age = customers

    ours = paretonbd.log_likelihood(parameters, x, t_x, age)
    theirs = ParetoNBDFitter._conditional_log_likelihood(parameters.as_array(), x, t_x, age)

    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_gammagamma_log_likelihood_matches_lifetimes(cdnow_summary):
    buyers = cdnow_summary.frequency > 0
    x, value = cdnow_summary.frequency[buyers], cdnow_summary.monetary_value[buyers]

    ours = gammagamma.log_likelihood(GG, x, value).sum()
    theirs = -GammaGammaFitter._negative_log_likelihood(
        np.log(GG.as_array()), x, value, np.ones_like(x), 0.0
    ) * len(x)

    assert ours == pytest.approx(theirs, rel=1e-12)


def test_bgnbd_probability_alive_and_expected_purchases_match_lifetimes(customers):
    x, t_x, age = customers
    model = _lifetimes_bgnbd(BG)

    np.testing.assert_allclose(
        bgnbd.probability_alive(BG, x, t_x, age),
        model.conditional_probability_alive(x, t_x, age),
        rtol=1e-12,
    )
    for horizon in HORIZONS:
        np.testing.assert_allclose(
            bgnbd.conditional_expected_purchases(BG, horizon, x, t_x, age),
            model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, age),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        bgnbd.expected_purchases(BG, HORIZONS),
        model.expected_number_of_purchases_up_to_time(np.array(HORIZONS)),
        rtol=1e-10,
    )


@pytest.mark.parametrize("parameters", PARETO)
def test_paretonbd_probability_alive_and_expected_purchases_match_lifetimes(customers, parameters):
    x, t_x, age = customers
    model = _lifetimes_paretonbd(parameters)

    np.testing.assert_allclose(
        paretonbd.probability_alive(parameters, x, t_x, age),
        model.conditional_probability_alive(x, t_x, age),
        rtol=1e-10,
    )
    for horizon in HORIZONS:
        np.testing.assert_allclose(
            paretonbd.conditional_expected_purchases(parameters, horizon, x, t_x, age),
            model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, age),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        paretonbd.expected_purchases(parameters, HORIZONS),
        model.expected_number_of_purchases_up_to_time(np.array(HORIZONS)),
        rtol=1e-12,
    )


def test_expected_average_spend_matches_lifetimes(cdnow_summary):
    x, value = cdnow_summary.frequency, cdnow_summary.monetary_value

    np.testing.assert_allclose(
        gammagamma.expected_average_spend(GG, x, value),
        _lifetimes_gammagamma(GG).conditional_expected_average_profit(x, value),
        rtol=1e-12,
    )


@pytest.mark.parametrize(("time_unit", "freq"), [("week", "W"), ("day", "D")])
@pytest.mark.parametrize("purchase_model", ["bgnbd", "paretonbd"])
def test_customer_lifetime_value_matches_lifetimes(cdnow_summary, time_unit, freq, purchase_model):
    # given the CDNOW customers, a purchase model and the Gamma-Gamma spend model
    s = cdnow_summary
    parameters, model = (
        (BG, _lifetimes_bgnbd(BG))
        if purchase_model == "bgnbd"
        else (PARETO[0], _lifetimes_paretonbd(PARETO[0]))
    )
    index = pd.RangeIndex(len(s.frequency))

    # when both compute a 12-month CLV at 1% a month
    ours = btyd.customer_lifetime_value(
        parameters,
        GG,
        s.frequency,
        s.recency,
        s.T,
        s.monetary_value,
        months=12,
        monthly_discount_rate=0.01,
        time_unit=time_unit,
    )
    theirs = _lifetimes_gammagamma(GG).customer_lifetime_value(
        model,
        pd.Series(s.frequency, index=index),
        pd.Series(s.recency, index=index),
        pd.Series(s.T, index=index),
        pd.Series(s.monetary_value, index=index),
        time=12,
        discount_rate=0.01,
        freq=freq,
    )

    # then they agree
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-10)


def test_bgnbd_fit_matches_lifetimes_fit_and_standard_errors(customers):
    # given the CDNOW summary
    x, t_x, age = customers

    # when both fit BG/NBD
    ours = bgnbd.fit(x, t_x, age)
    theirs = BetaGeoFitter().fit(x, t_x, age)

    # then the parameters agree to lifetimes' tolerance and so do the standard errors
    np.testing.assert_allclose(
        ours.parameters.as_array(), theirs.params_[["r", "alpha", "a", "b"]], rtol=1e-4
    )
    np.testing.assert_allclose(
        ours.standard_errors.as_array(),
        theirs.standard_errors_[["r", "alpha", "a", "b"]],
        rtol=1e-3,
    )

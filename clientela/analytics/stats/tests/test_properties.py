"""Edge cases: no NaN, no overflow, probabilities in [0, 1], whatever the data."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import gammaln

from clientela.analytics.stats import btyd, simulate
from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

positive = st.floats(min_value=1e-3, max_value=50.0, allow_nan=False)
time_scale = st.floats(min_value=1e-2, max_value=1e4, allow_nan=False)


@st.composite
def customers(draw):
    """Customers with 0 to 5,000 repeat purchases and ages up to 10 million units."""
    size = draw(st.integers(min_value=1, max_value=12))
    frequency = np.array(
        draw(
            st.lists(
                st.one_of(st.just(0), st.integers(0, 20), st.integers(1000, 5000)),
                min_size=size,
                max_size=size,
            )
        ),
        dtype=float,
    )
    age = np.array(
        draw(
            st.lists(
                st.one_of(st.floats(0.0, 100.0), st.floats(1e5, 1e7)),
                min_size=size,
                max_size=size,
            )
        )
    )
    share = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=size, max_size=size)))
    recency = np.where(frequency > 0, share * age, 0.0)
    return frequency, recency, age


horizon = st.one_of(st.floats(0.0, 1000.0), st.floats(1e5, 1e7))


@SETTINGS
@given(
    r=positive,
    alpha=time_scale,
    a=positive,
    b=positive,
    data=customers(),
    t=horizon,
)
def test_bgnbd_is_finite_and_probabilities_are_probabilities(r, alpha, a, b, data, t):
    # given any BG/NBD parameters (a + b < 1 included) and any customers
    parameters = btyd.BGNBDParameters(r, alpha, a, b)
    x, t_x, age = data

    # when every quantity is computed
    log_likelihood = bgnbd.log_likelihood(parameters, x, t_x, age)
    alive = bgnbd.probability_alive(parameters, x, t_x, age)
    expected = bgnbd.conditional_expected_purchases(parameters, t, x, t_x, age)

    # then nothing is NaN or infinite, and probabilities lie in [0, 1]
    assert np.isfinite(log_likelihood).all()
    assert (log_likelihood <= 1e-9 + np.where(x > 0, np.inf, 0)).all()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert np.isfinite(expected).all()
    assert (expected >= 0).all()


@SETTINGS
@given(
    r=positive,
    alpha=time_scale,
    s=positive,
    beta=time_scale,
    data=customers(),
    t=horizon,
)
def test_paretonbd_is_finite_and_probabilities_are_probabilities(r, alpha, s, beta, data, t):
    parameters = btyd.ParetoNBDParameters(r, alpha, s, beta)
    x, t_x, age = data

    log_likelihood = paretonbd.log_likelihood(parameters, x, t_x, age)
    alive = paretonbd.probability_alive(parameters, x, t_x, age)
    expected = paretonbd.conditional_expected_purchases(parameters, t, x, t_x, age)

    assert np.isfinite(log_likelihood).all()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert np.isfinite(expected).all()
    assert (expected >= 0).all()


@SETTINGS
@given(
    p=positive,
    q=st.floats(min_value=1.001, max_value=50.0),
    gamma=time_scale,
    data=customers(),
    spend=st.floats(min_value=0.01, max_value=1e6),
    months=st.integers(0, 120),
    rate=st.floats(0.0, 0.5),
)
def test_spend_and_lifetime_value_are_finite_and_non_negative(
    p, q, gamma, data, spend, months, rate
):
    # given spend parameters, any customers and both purchase models
    spend_parameters = btyd.GammaGammaParameters(p, q, gamma)
    x, t_x, age = data
    value = np.full_like(x, spend)

    # when the expected spend and the CLV are computed
    average = gammagamma.expected_average_spend(spend_parameters, x, value)
    lifetime_values = [
        btyd.customer_lifetime_value(
            model, spend_parameters, x, t_x, age, value, months=months, monthly_discount_rate=rate
        )
        for model in (
            btyd.BGNBDParameters(0.24, 4.4, 0.79, 2.4),
            btyd.ParetoNBDParameters(0.55, 10.6, 0.61, 11.7),
        )
    ]

    # then they are finite and non-negative
    assert np.isfinite(average).all() and (average > 0).all()
    for lifetime_value in lifetime_values:
        assert np.isfinite(lifetime_value).all() and (lifetime_value >= 0).all()


def _paretonbd_likelihood_by_quadrature(parameters, x, t_x, age) -> float:
    """ln L from the integral form (Fader & Hardie 2005, eq. 11):
    Γ(r+x)α^r β^s/Γ(r) [(α+T)^-(r+x) (β+T)^-s + s ∫_{t_x}^T (α+τ)^-(r+x) (β+τ)^-(s+1) dτ]."""
    r, alpha, s, beta = parameters.as_array()
    scale = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)

    def integrand(tau):
        return np.exp(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) - scale)

    integral, _ = integrate.quad(integrand, t_x, age, epsabs=0, epsrel=1e-12, limit=200)
    alive = np.exp(-(r + x) * np.log(alpha + age) - s * np.log(beta + age) - scale)
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + scale
        + np.log(alive + s * integral)
    )


@pytest.mark.parametrize(
    "parameters",
    [
        btyd.ParetoNBDParameters(0.55, 10.58, 0.61, 11.67),  # α < β
        btyd.ParetoNBDParameters(0.8, 40.0, 1.5, 3.0),  # α > β
        btyd.ParetoNBDParameters(2.0, 5.0, 1.0, 5.0),  # α = β, s = 1
        btyd.ParetoNBDParameters(0.05, 0.5, 8.0, 300.0),  # α ≪ β
    ],
)
@pytest.mark.parametrize(("x", "t_x", "age"), [(0, 0.0, 30.0), (3, 10.0, 38.0), (40, 37.5, 38.0)])
def test_paretonbd_likelihood_equals_its_integral_form(parameters, x, t_x, age):
    ours = paretonbd.log_likelihood(parameters, x, t_x, age)[0]

    assert ours == pytest.approx(
        _paretonbd_likelihood_by_quadrature(parameters, x, t_x, age), rel=1e-9
    )


@pytest.mark.parametrize(
    "parameters",
    [
        btyd.BGNBDParameters(0.5, 2.0, 0.3, 0.4),  # a + b < 1
        btyd.BGNBDParameters(0.5, 2.0, 1.0, 2.0),  # a = 1, a removable singularity
        btyd.BGNBDParameters(0.5, 2.0, 0.5, 0.5),  # a + b = 1, another
        btyd.BGNBDParameters(1.5, 3.0, 4.0, 1.0),
    ],
)
def test_bgnbd_expected_purchases_match_a_simulation(parameters):
    # given 200,000 new customers simulated for 10 time units
    customers = simulate.simulate_bgnbd(parameters, 10.0, n_customers=200_000, seed=21)

    # when the expected number of repeat purchases is computed
    expected = bgnbd.expected_purchases(parameters, 10.0)[0]

    # then it is the simulated mean, within 4 standard errors
    error = customers.frequency.std() / np.sqrt(customers.frequency.size)
    assert abs(expected - customers.frequency.mean()) < 4 * error


@pytest.mark.parametrize(
    "parameters",
    [btyd.ParetoNBDParameters(0.5, 2.0, 1.0, 3.0), btyd.ParetoNBDParameters(1.5, 3.0, 0.4, 1.0)],
)
def test_paretonbd_expected_purchases_match_a_simulation(parameters):
    customers = simulate.simulate_paretonbd(parameters, 10.0, n_customers=200_000, seed=22)

    expected = paretonbd.expected_purchases(parameters, 10.0)[0]

    error = customers.frequency.std() / np.sqrt(customers.frequency.size)
    assert abs(expected - customers.frequency.mean()) < 4 * error


def test_bgnbd_handles_many_repeat_purchases_and_huge_ages():
    # given a customer with 5,000 purchases, one inactive for ten million days
    parameters = btyd.BGNBDParameters(0.24, 4.4, 0.79, 2.4)
    x = np.array([5000.0, 5000.0, 0.0])
    t_x = np.array([1e7 - 1, 10.0, 0.0])
    age = np.array([1e7, 1e7, 1e7])

    alive = bgnbd.probability_alive(parameters, x, t_x, age)
    expected = bgnbd.conditional_expected_purchases(parameters, 365.0, x, t_x, age)

    # then the long-inactive one is dead, the recent one very likely alive
    assert alive[1] == 0.0
    assert alive[0] > 0.99
    assert np.isfinite(expected).all()
    assert expected[1] == 0.0


def test_paretonbd_handles_many_repeat_purchases_and_huge_ages():
    parameters = btyd.ParetoNBDParameters(0.55, 10.6, 0.61, 11.7)
    x = np.array([5000.0, 5000.0, 0.0])
    t_x = np.array([1e7 - 1, 10.0, 0.0])
    age = np.array([1e7, 1e7, 1e7])

    alive = paretonbd.probability_alive(parameters, x, t_x, age)
    log_likelihood = paretonbd.log_likelihood(parameters, x, t_x, age)

    assert alive[1] == pytest.approx(0.0, abs=1e-300)
    assert alive[0] > 0.99
    assert np.isfinite(log_likelihood).all()

"""The published CDNOW estimates (Fader, Hardie & Lee 2005; Fader & Hardie's notes).

The published figures were computed from the exact data: times in days / 7 and the exact
mean repeat spend. The shipped summary rounds both to 2 decimals, which moves Pareto/NBD's
β (standard error 6.2) from 11.6687 to 11.6679 and Gamma-Gamma's γ (standard error 4.2)
from 15.4435 to 15.4477, i.e. one unit in the last published decimal.
"""

import pytest

from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd
from clientela.analytics.stats.summary import transaction_summary

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_PARETONBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_GAMMAGAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _rounds_to(estimate, published: dict[str, float], decimals: int) -> None:
    for name, value in published.items():
        assert round(getattr(estimate, name), decimals) == pytest.approx(value), name


@pytest.fixture(scope="module")
def exact_summary(cdnow_transactions):
    return transaction_summary(
        cdnow_transactions.customer_ids,
        cdnow_transactions.dates,
        cdnow_transactions.amounts,
        observation_end="1997-09-30",
        time_unit="day",
        unit_multiplier=7,
    )


def test_bgnbd_reproduces_the_published_cdnow_estimates(exact_summary, cdnow_summary):
    # when BG/NBD is fitted on the 39-week calibration data, exact or as published
    exact = bgnbd.fit(exact_summary.frequency, exact_summary.recency, exact_summary.T)
    rounded = bgnbd.fit(cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary.T)

    # then both give r = 0.243, α = 4.414, a = 0.793, b = 2.426 and LL = -9582.4
    assert exact.converged and rounded.converged
    assert exact.n_customers == rounded.n_customers == 2357
    _rounds_to(exact.parameters, PUBLISHED_BGNBD, 3)
    _rounds_to(rounded.parameters, PUBLISHED_BGNBD, 3)
    assert round(rounded.log_likelihood, 1) == -9582.4


def test_paretonbd_reproduces_the_published_cdnow_estimates(exact_summary, cdnow_summary):
    exact = paretonbd.fit(exact_summary.frequency, exact_summary.recency, exact_summary.T)
    rounded = paretonbd.fit(cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary.T)

    # then r = 0.553, α = 10.578, s = 0.606, β = 11.669 (LL = -9595.0)
    assert exact.converged and rounded.converged
    _rounds_to(exact.parameters, PUBLISHED_PARETONBD, 3)
    assert round(exact.log_likelihood, 1) == -9595.0
    # the rounded summary moves β by one unit in the third decimal (11.668)
    _rounds_to(rounded.parameters, {k: PUBLISHED_PARETONBD[k] for k in ("r", "alpha", "s")}, 3)
    assert rounded.parameters.beta == pytest.approx(PUBLISHED_PARETONBD["beta"], abs=0.0015)


def test_gammagamma_reproduces_the_published_cdnow_estimates(exact_summary, cdnow_summary):
    exact = gammagamma.fit(exact_summary.frequency, exact_summary.monetary_value)
    rounded = gammagamma.fit(cdnow_summary.frequency, cdnow_summary.monetary_value)

    # then p = 6.25, q = 3.74, γ = 15.44 on the 946 repeat buyers
    assert exact.n_customers == rounded.n_customers == 946
    _rounds_to(exact.parameters, PUBLISHED_GAMMAGAMMA, 2)
    _rounds_to(rounded.parameters, {k: PUBLISHED_GAMMAGAMMA[k] for k in ("p", "q")}, 2)
    assert rounded.parameters.gamma == pytest.approx(PUBLISHED_GAMMAGAMMA["gamma"], abs=0.015)

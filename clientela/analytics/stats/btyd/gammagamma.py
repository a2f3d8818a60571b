"""Gamma-Gamma model of the average spend per transaction.

Sources: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
Base Analysis", Journal of Marketing Research 42(4), 415-430 (appendix); Fader & Hardie
(2013), "The Gamma-Gamma Model of Monetary Value" (equations 1a and 5).

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers,
independent of the purchase process. A customer is summarised by x (repeat purchases)
and m̄ (their mean value); customers with x = 0 carry no spend information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from clientela.analytics.stats.btyd._fitting import (
    FitResult,
    FloatArray,
    Objective,
    collapse_rows,
    fit_result,
    minimize_negative_log_likelihood,
    warm_start,
)


@dataclass(frozen=True)
class GammaGammaParameters:
    """p: shape of each transaction value; q, γ: shape and rate of its rate ν."""

    p: float
    q: float
    gamma: float

    def as_array(self) -> FloatArray:
        return np.array([self.p, self.q, self.gamma], dtype=float)

    @property
    def population_mean_spend(self) -> float:
        """E[M] = pγ/(q-1) (infinite when q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def _spend_arrays(
    frequency, monetary_value, *, zero_spend: bool = False
) -> tuple[FloatArray, FloatArray]:
    """x and m̄ as float arrays, checked: finite, x whole and non-negative, m̄ positive
    where x > 0 (or, with ``zero_spend``, not negative)."""
    x, value = np.broadcast_arrays(
        np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    )
    x, value = (np.atleast_1d(v).astype(float, copy=True).ravel() for v in (x, value))
    if not (np.isfinite(x).all() and np.isfinite(value).all()):
        raise ValueError("frequency and monetary_value must be finite")
    if (x < 0).any() or (x != np.floor(x)).any():
        raise ValueError("frequency must hold non-negative whole numbers")
    if zero_spend and (value[x > 0] < 0).any():
        raise ValueError("monetary_value must not be negative for customers with repeat purchases")
    if not zero_spend and (value[x > 0] <= 0).any():
        raise ValueError("monetary_value must be positive for customers with repeat purchases")
    return x, value


def _row_terms(
    parameters: FloatArray,
    x: FloatArray,
    value: FloatArray,
    *,
    gradient: bool,
    frequencies: tuple[FloatArray, np.ndarray] | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row ln f(m̄ | x; p, q, γ) (Fader & Hardie 2013, eq. 1a) for x > 0, and
    optionally its gradient with respect to (p, q, γ). ``frequencies`` = (unique x, index
    of each row's x) lets the gamma-function terms be evaluated once per distinct x."""
    p, q, gamma = parameters
    unique_x, x_index = (
        frequencies if frequencies is not None else np.unique(x, return_inverse=True)
    )
    unique_px = p * unique_x
    px = p * x
    log_value = np.log(value)
    log_total = np.log(x * value + gamma)
    log_likelihood = (
        (gammaln(unique_px + q) - gammaln(unique_px) + unique_px * np.log(unique_x))[x_index]
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * log_value
        - (px + q) * log_total
    )
    if not gradient:
        return log_likelihood, None
    digamma_sum = digamma(unique_px + q)
    d_p = x * (
        (digamma_sum - digamma(unique_px) + np.log(unique_x))[x_index] + log_value - log_total
    )
    d_q = digamma_sum[x_index] - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (x * value + gamma)
    return log_likelihood, np.stack([d_p, d_q, d_gamma])


def log_likelihood(parameters: GammaGammaParameters, frequency, monetary_value) -> FloatArray:
    """Each customer's ln f(m̄ | x; p, q, γ) (Fader & Hardie 2013, eq. 1a); 0 where x = 0."""
    x, value = _spend_arrays(frequency, monetary_value)
    result = np.zeros_like(x)
    buyers = x > 0
    result[buyers], _ = _row_terms(parameters.as_array(), x[buyers], value[buyers], gradient=False)
    return result


def _objective(x, value, row_weights) -> Objective:
    """The negative log-likelihood of collapsed rows and its gradient, on the log scale."""
    frequencies = np.unique(x, return_inverse=True)

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        parameters = np.exp(log_parameters)
        values, gradient = _row_terms(parameters, x, value, gradient=True, frequencies=frequencies)
        assert gradient is not None
        return -float(np.einsum("i,i->", row_weights, values)), -np.einsum(
            "ki,i->k", gradient, row_weights
        ) * parameters

    return objective


def fit(
    frequency,
    monetary_value,
    *,
    weights=None,
    initial: GammaGammaParameters | None = None,
) -> FitResult[GammaGammaParameters]:
    """Maximum-likelihood Gamma-Gamma fit on the customers with repeat purchases (x > 0;
    the others are left out). Identical (x, m̄) rows are collapsed into weights; the
    gradient is analytic and standard errors come from a numeric Hessian of it.
    """
    x, value = _spend_arrays(frequency, monetary_value)
    row_weights = (
        np.ones_like(x)
        if weights is None
        else np.broadcast_to(np.asarray(weights, dtype=float), x.shape).copy()
    )
    buyers = x > 0
    x, value, row_weights = x[buyers], value[buyers], row_weights[buyers]
    if weights is None and x.size:
        (x, value), row_weights, _ = collapse_rows(x, value)
    total = float(row_weights.sum())
    if total <= 0:
        raise ValueError("no customers with repeat purchases to fit")

    if initial is None:
        start = np.log([1.0, 2.0, float(np.average(value, weights=row_weights))])
    else:
        start = np.log(initial.as_array())
    start, inverse_hessian = warm_start(_objective, (x, value), row_weights, start)
    optimum = minimize_negative_log_likelihood(
        _objective(x, value, row_weights), start, total, inverse_hessian=inverse_hessian
    )
    return fit_result(GammaGammaParameters, optimum, total)


def expected_average_spend(
    parameters: GammaGammaParameters, frequency, monetary_value
) -> FloatArray:
    """E[M | p, q, γ, m̄, x] = (q-1)/(px+q-1) · pγ/(q-1) + px/(px+q-1) · m̄
    (Fader & Hardie 2013, eq. 5): a weighted average of the population mean and the
    customer's own mean; the population mean where x = 0. A mean of 0 is taken as the
    limit of a vanishing spend (the fit needs positive means). Needs q > 1."""
    if parameters.q <= 1:
        raise ValueError("the expected spend is infinite when q <= 1")
    x, value = _spend_arrays(frequency, monetary_value, zero_spend=True)
    p, q, gamma = parameters.as_array()
    individual_weight = p * x / (p * x + q - 1)
    own_mean = np.where(x > 0, value, 0.0)
    return (1 - individual_weight) * (p * gamma / (q - 1)) + individual_weight * own_mean

"""BG/NBD: beta-geometric / negative binomial model of repeat purchasing.

Source: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
to the Pareto/NBD Model", Marketing Science 24(2), 275-284 (equations 6, 9, 10, 13), and
Fader & Hardie's note "Implementing the BG/NBD Model for Customer Base Analysis in Excel".

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
repeat purchase they drop out with probability p ~ Beta(a, b). A customer is summarised
by (x, t_x, T): repeat purchases, time of the last one and time since the first purchase,
all in the time unit of the data (``α`` carries that unit: it is a time scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln

from clientela.analytics.stats.btyd._fitting import (
    FitResult,
    FloatArray,
    collapse_rows,
    customer_arrays,
    minimize_negative_log_likelihood,
    standard_errors,
)
from clientela.analytics.stats.btyd._hypergeometric import hyp2f1

# How close a (or a + b + x - 1) may come to the removable singularities at a = 1 and
# c = 0 of the expectation formula before it is evaluated just beside them.
_SINGULARITY_GAP = 1e-7


@dataclass(frozen=True)
class BGNBDParameters:
    """r, α: purchase rate λ ~ Gamma(shape r, rate α); a, b: dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.a, self.b], dtype=float)


def _row_terms(
    parameters: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
    *,
    gradient: bool,
    frequencies: tuple[FloatArray, np.ndarray] | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row log-likelihood (FHL 2005 eq. 6, in logs) and, optionally, its gradient
    with respect to (r, α, a, b). ``frequencies`` = (unique x, index of each row's x)
    lets the gamma-function terms be evaluated once per distinct x."""
    r, alpha, a, b = parameters
    unique_x, x_index = (
        frequencies if frequencies is not None else np.unique(x, return_inverse=True)
    )
    has_repeat = x > 0
    log_alpha_age = np.log(alpha + age)
    log_alpha_recency = np.log(alpha + t_x)
    shifted_b = b + np.maximum(x, 1) - 1
    a12 = (
        gammaln(r + unique_x)
        - gammaln(r)
        + gammaln(a + b)
        + gammaln(b + unique_x)
        - gammaln(b)
        - gammaln(a + b + unique_x)
    )[x_index] + r * np.log(alpha)
    a3 = -(r + x) * log_alpha_age
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            has_repeat, np.log(a) - np.log(shifted_b) - (r + x) * log_alpha_recency, -np.inf
        )
    mixture = np.logaddexp(a3, a4)
    log_likelihood = a12 + mixture
    if not gradient:
        return log_likelihood, None
    weight_alive = np.exp(a3 - mixture)
    weight_dropped = np.exp(a4 - mixture)
    digamma_r = (digamma(r + unique_x) - digamma(r))[x_index]
    digamma_total = (digamma(a + b) - digamma(a + b + unique_x))[x_index]
    digamma_b = (digamma(b + unique_x) - digamma(b))[x_index]
    d_r = (
        digamma_r
        + np.log(alpha)
        - weight_alive * log_alpha_age
        - weight_dropped * log_alpha_recency
    )
    d_alpha = r / alpha - (r + x) * (weight_alive / (alpha + age) + weight_dropped / (alpha + t_x))
    d_a = digamma_total + weight_dropped / a
    d_b = digamma_total + digamma_b - weight_dropped / shifted_b
    return log_likelihood, np.stack([d_r, d_alpha, d_a, d_b])


def log_likelihood(parameters: BGNBDParameters, frequency, recency, T) -> FloatArray:
    """Each customer's log-likelihood ln L(r, α, a, b | x, t_x, T) (FHL 2005, eq. 6)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    values, _ = _row_terms(parameters.as_array(), x, t_x, age, gradient=False)
    return values


def fit(
    frequency,
    recency,
    T,
    *,
    weights=None,
    initial: BGNBDParameters | None = None,
) -> FitResult[BGNBDParameters]:
    """Maximum-likelihood BG/NBD fit (FHL 2005, section 3).

    Identical (x, t_x, T) rows are collapsed into weights; ``weights`` gives per-row
    customer counts for data that is already collapsed. The log-likelihood is maximised
    over log-parameters with the analytic gradient; standard errors come from a numeric
    Hessian of the analytic gradient at the optimum.
    """
    x, t_x, age = customer_arrays(frequency, recency, T)
    if weights is None:
        (x, t_x, age), row_weights, _ = collapse_rows(x, t_x, age)
    else:
        row_weights = np.broadcast_to(np.asarray(weights, dtype=float), x.shape).copy()
    total = float(row_weights.sum())
    if total <= 0:
        raise ValueError("no customers to fit")

    unique_x, x_index = np.unique(x, return_inverse=True)

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        parameters = np.exp(log_parameters)
        values, gradient = _row_terms(
            parameters, x, t_x, age, gradient=True, frequencies=(unique_x, x_index)
        )
        assert gradient is not None
        return -float(np.einsum("i,i->", row_weights, values)), -np.einsum(
            "ki,i->k", gradient, row_weights
        ) * parameters

    if initial is None:
        time_scale = max(float(np.average(age, weights=row_weights)), 1e-6)
        start = np.log([1.0, time_scale, 1.0, 1.0])
    else:
        start = np.log(initial.as_array())
    optimum = minimize_negative_log_likelihood(objective, start, total)
    return FitResult(
        parameters=BGNBDParameters(*map(float, optimum.parameters)),
        standard_errors=BGNBDParameters(*map(float, standard_errors(optimum.covariance))),
        log_likelihood=-optimum.negative_log_likelihood,
        n_customers=round(total),
        converged=optimum.converged,
        iterations=optimum.iterations,
        covariance=optimum.covariance,
    )


def _log_odds_dropped(parameters: BGNBDParameters, x, t_x, age) -> FloatArray:
    """ln[a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)]: log odds of having dropped out, x > 0."""
    r, alpha, a, b = parameters.as_array()
    return (
        np.log(a)
        - np.log(b + np.maximum(x, 1) - 1)
        + (r + x) * np.log1p((age - t_x) / (alpha + t_x))
    )


def probability_alive(parameters: BGNBDParameters, frequency, recency, T) -> FloatArray:
    """P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))
    (FHL 2005, eq. 13; computed as a logistic of the log odds, so it never overflows)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    return np.where(x > 0, expit(-_log_odds_dropped(parameters, x, t_x, age)), 1.0)


def _hyp2f1_bracket(r, a, b, x, t, alpha_age) -> FloatArray:
    """(a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z)],
    z = t/(α+T+t), via Euler's transformation
    (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z),
    whose parameters stay small however large x is."""
    if abs(a - 1) < _SINGULARITY_GAP:
        a = 1 + _SINGULARITY_GAP
    c = a + b + x - 1
    c = np.where(np.abs(c) < _SINGULARITY_GAP, _SINGULARITY_GAP, c)
    b_shifted = c - a - x + 1  # b, moved off the pole at c = 0 together with c
    z = t / (alpha_age + t)
    log_one_minus_z = -np.log1p(t / alpha_age)
    series = hyp2f1(a + b_shifted - 1 - r, a - 1, c, z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        power = (a - 1) * log_one_minus_z
        bracket = np.where(
            series > 0,
            -np.expm1(power + np.log(np.where(series > 0, series, 1.0))),
            1 - np.exp(power) * series,
        )
    failed = ~np.isfinite(bracket)
    if failed.any():
        # Where the transformed series fails, fall back on the untransformed form.
        r_x, b_x, c_f, z_f = np.broadcast_arrays(r + x, b_shifted + x, c, z)
        log_f = np.broadcast_to(log_one_minus_z, bracket.shape)[failed]
        with np.errstate(all="ignore"):
            bracket[failed] = 1 - np.exp(r_x[failed] * log_f) * hyp2f1(
                r_x[failed], b_x[failed], c_f[failed], z_f[failed]
            )
    return c / (a - 1) * bracket


def expected_purchases_if_alive(parameters: BGNBDParameters, t, frequency, T) -> FloatArray:
    """E[X(T, T+t] | alive at T, x]: the bracket of FHL 2005 eq. 10 without P(alive),
    (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))].
    Identical (x, T) rows are evaluated once."""
    x, _, age = customer_arrays(frequency, 0.0, T)
    horizon = np.asarray(t, dtype=float)
    if (horizon < 0).any():
        raise ValueError("the horizon t must be non-negative")
    r, alpha, a, b = parameters.as_array()
    if horizon.ndim == 0:
        (unique_x, unique_age), _, inverse = collapse_rows(x, age)
        expected = _hyp2f1_bracket(r, a, b, unique_x, float(horizon), alpha + unique_age)
        expected = expected[inverse]
    else:
        horizon = np.broadcast_to(horizon, x.shape)
        expected = _hyp2f1_bracket(r, a, b, x, horizon, alpha + age)
    return np.where(horizon > 0, np.maximum(expected, 0.0), 0.0)


def conditional_expected_purchases(
    parameters: BGNBDParameters, t, frequency, recency, T
) -> FloatArray:
    """E[X(T, T+t] | x, t_x, T]: expected repeat purchases in the next ``t`` time units
    (FHL 2005, eq. 10), = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) ·
    2F1(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive | x, t_x, T)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    expected = expected_purchases_if_alive(parameters, t, x, age)
    return expected * probability_alive(parameters, x, t_x, age)


def expected_purchases(parameters: BGNBDParameters, t) -> FloatArray:
    """E[X(t)]: expected repeat purchases in ``t`` time units for a new customer
    (FHL 2005, eq. 9)."""
    horizon = np.atleast_1d(np.asarray(t, dtype=float))
    zeros = np.zeros_like(horizon)
    return conditional_expected_purchases(parameters, horizon, zeros, zeros, zeros)

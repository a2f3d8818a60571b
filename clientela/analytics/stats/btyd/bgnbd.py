"""BG/NBD: beta-geometric / negative binomial model of repeat purchasing.

Source: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
to the Pareto/NBD Model", Marketing Science 24(2), 275-284 (equations 6, 9, 10, 13), and
Fader & Hardie's note "Implementing the BG/NBD Model for Customer Base Analysis in Excel".

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
repeat purchase they drop out with probability p ~ Beta(a, b). A customer is summarised
by (x, t_x, T): repeat purchases, time of the last one and time since the first purchase,
all in the time unit of the data (``α`` carries that unit: it is a time scale).

The boundary: when a and b grow without bound with a/(a+b) → p, Beta(a, b) collapses
to the single value p and every customer has the same chance p of leaving after each
purchase; with p → 0 too nobody leaves (the NBD). Such data make the likelihood rise
forever along a ridge, so ``fit`` also fits that limiting model (r, α, p) and, when it
is at least as likely, returns it (``FitResult.boundary``) with parameters standing for
it (a + b = ``LIMIT_SCALE``); every function here uses the limit's closed forms from
a + b ≥ ``LIMIT_CONCENTRATION`` on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln

from clientela.analytics.stats.btyd._fitting import (
    Boundary,
    FitResult,
    FloatArray,
    Objective,
    collapse_rows,
    customer_arrays,
    fit_result,
    minimize_negative_log_likelihood,
    standard_errors,
    warm_start,
)
from clientela.analytics.stats.btyd._hypergeometric import hyp2f1

# How close a (or a + b + x - 1) may come to the removable singularities at a = 1 and
# c = 0 of the expectation formula before it is evaluated just beside them.
_SINGULARITY_GAP = 1e-7
# From this a + b on, Beta(a, b) is taken as its limit, the single value a/(a+b) (its
# standard deviation is below 0.01 % there); a limit fit is stored with a + b this large.
LIMIT_CONCENTRATION = 1e8
LIMIT_SCALE = 1e12
# The full fit runs towards the boundary when a + b passes this; the limit is then fitted.
_RIDGE_CONCENTRATION = 50.0
# Below this p (per purchase) the limit is reported as "nobody drops out".
_NO_DROPOUT = 1e-6


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
    lets the gamma-function terms be evaluated once per distinct x. From a + b ≥
    ``LIMIT_CONCENTRATION`` on the values are the limit's (without a gradient)."""
    r, alpha, a, b = parameters
    if not gradient and a + b >= LIMIT_CONCENTRATION:  # the search itself stays exact
        limit = np.array([r, alpha, a / b])
        values, _ = _limit_row_terms(limit, x, t_x, age, gradient=False, frequencies=frequencies)
        return values, None
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


def _limit_row_terms(
    parameters: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
    *,
    gradient: bool,
    frequencies: tuple[FloatArray, np.ndarray] | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row log-likelihood of the limit a, b → ∞ with a/(a+b) = p, and optionally its
    gradient with respect to (log r, log α, log o), o = p/(1-p) the odds of leaving:
    Γ(r+x)α^r/Γ(r) · [(1-p)^x (α+T)^-(r+x) + δ(x>0) p (1-p)^(x-1) (α+t_x)^-(r+x)]."""
    r, alpha, odds = parameters
    unique_x, x_index = (
        frequencies if frequencies is not None else np.unique(x, return_inverse=True)
    )
    log_stay = -np.log1p(odds)  # ln(1 - p)
    log_alpha_age = np.log(alpha + age)
    log_alpha_recency = np.log(alpha + t_x)
    common = (gammaln(r + unique_x) - gammaln(r))[x_index] + r * np.log(alpha)
    alive_term = x * log_stay - (r + x) * log_alpha_age
    with np.errstate(divide="ignore"):
        dropped_term = np.where(
            x > 0,
            np.log(odds) + x * log_stay - (r + x) * log_alpha_recency,
            -np.inf,
        )
    mixture = np.logaddexp(alive_term, dropped_term)
    if not gradient:
        return common + mixture, None
    weight_alive = np.exp(alive_term - mixture)
    weight_dropped = np.exp(dropped_term - mixture)
    p = odds / (1 + odds)
    d_log_r = r * (
        (digamma(r + unique_x) - digamma(r))[x_index]
        + np.log(alpha)
        - weight_alive * log_alpha_age
        - weight_dropped * log_alpha_recency
    )
    d_log_alpha = r - alpha * (r + x) * (
        weight_alive / (alpha + age) + weight_dropped / (alpha + t_x)
    )
    # d/d(ln o) of x ln(1-p) is -x p, of ln p + (x-1) ln(1-p) is (1-p) - (x-1) p.
    d_log_odds = weight_alive * (-x * p) + weight_dropped * (1 - x * p)
    return common + mixture, np.stack([d_log_r, d_log_alpha, d_log_odds])


def _fit_limit(x, t_x, age, row_weights, total, start: FloatArray):
    """Maximum-likelihood fit of the limit (r, α, p/(1-p)) on collapsed rows."""
    frequencies = np.unique(x, return_inverse=True)

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        values, gradient = _limit_row_terms(
            np.exp(log_parameters), x, t_x, age, gradient=True, frequencies=frequencies
        )
        assert gradient is not None
        return -float(np.einsum("i,i->", row_weights, values)), -np.einsum(
            "ki,i->k", gradient, row_weights
        )

    return minimize_negative_log_likelihood(objective, start, total)


def _boundary_result(optimum, total: float) -> FitResult[BGNBDParameters]:
    """The limit's fit as a ``FitResult``: a, b at ``LIMIT_SCALE`` with a/(a+b) = p."""
    r, alpha, odds = optimum.parameters
    p = odds / (1 + odds)
    r_error, alpha_error, odds_error = standard_errors(optimum.covariance)
    nan = float("nan")
    return fit_result(
        BGNBDParameters,
        optimum,
        total,
        parameters=BGNBDParameters(
            float(r), float(alpha), float(p * LIMIT_SCALE), float((1 - p) * LIMIT_SCALE)
        ),
        errors=BGNBDParameters(float(r_error), float(alpha_error), nan, nan),
        boundary=Boundary(
            kind="no_dropout" if p < _NO_DROPOUT else "same_dropout",
            parameters={"r": float(r), "alpha": float(alpha), "p": float(p)},
            standard_errors={
                "r": float(r_error),
                "alpha": float(alpha_error),
                # dp/do = (1-p)^2
                "p": float(odds_error * (1 - p) ** 2),
            },
        ),
    )


def log_likelihood(parameters: BGNBDParameters, frequency, recency, T) -> FloatArray:
    """Each customer's log-likelihood ln L(r, α, a, b | x, t_x, T) (FHL 2005, eq. 6)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    values, _ = _row_terms(parameters.as_array(), x, t_x, age, gradient=False)
    return values


def _objective(x, t_x, age, row_weights) -> Objective:
    """The negative log-likelihood of collapsed rows and its gradient, on the log scale."""
    frequencies = np.unique(x, return_inverse=True)

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        parameters = np.exp(log_parameters)
        values, gradient = _row_terms(
            parameters, x, t_x, age, gradient=True, frequencies=frequencies
        )
        assert gradient is not None
        return -float(np.einsum("i,i->", row_weights, values)), -np.einsum(
            "ki,i->k", gradient, row_weights
        ) * parameters

    return objective


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
    Hessian of the analytic gradient at the optimum. When the search heads for a, b → ∞
    (or stops short), the limit (r, α, p) is fitted too and returned, with
    ``boundary`` set, if it is at least as likely (module docstring).
    """
    x, t_x, age = customer_arrays(frequency, recency, T)
    if weights is None:
        (x, t_x, age), row_weights, _ = collapse_rows(x, t_x, age)
    else:
        row_weights = np.broadcast_to(np.asarray(weights, dtype=float), x.shape).copy()
    total = float(row_weights.sum())
    if total <= 0:
        raise ValueError("no customers to fit")

    if initial is None:
        time_scale = max(float(np.average(age, weights=row_weights)), 1e-6)
        start = np.log([1.0, time_scale, 1.0, 1.0])
    else:
        start = np.log(initial.as_array())
    start, inverse_hessian = warm_start(_objective, (x, t_x, age), row_weights, start)
    optimum = minimize_negative_log_likelihood(
        _objective(x, t_x, age, row_weights), start, total, inverse_hessian=inverse_hessian
    )
    r, alpha, a, b = optimum.parameters
    if not optimum.converged or a + b > _RIDGE_CONCENTRATION:
        odds = a / b if np.isfinite(a / b) and a / b > 0 else 0.1
        limit = _fit_limit(x, t_x, age, row_weights, total, np.log([r, alpha, odds]))
        tolerance = 1e-7 * max(1.0, abs(optimum.negative_log_likelihood))
        if limit.negative_log_likelihood <= optimum.negative_log_likelihood + tolerance:
            return _boundary_result(limit, total)
    return fit_result(BGNBDParameters, optimum, total)


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


def _limit_expected_purchases(r, p, x, horizon, alpha_age) -> FloatArray:
    """The limit a, b → ∞ of the expectation below: with λ | alive ~ Gamma(r+x, α+T) and a
    fixed chance p of leaving after each purchase, E = (1 - ((α+T)/(α+T+pt))^(r+x)) / p,
    and (r+x) t / (α+T) when p = 0 (nobody leaves)."""
    horizon = np.broadcast_to(horizon, x.shape)
    if p == 0:
        return (r + x) * horizon / alpha_age
    return -np.expm1(-(r + x) * np.log1p(p * horizon / alpha_age)) / p


def expected_purchases_if_alive(parameters: BGNBDParameters, t, frequency, T) -> FloatArray:
    """E[X(T, T+t] | alive at T, x]: the bracket of FHL 2005 eq. 10 without P(alive),
    (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))].
    Identical (x, T) rows are evaluated once."""
    x, _, age = customer_arrays(frequency, 0.0, T)
    horizon = np.asarray(t, dtype=float)
    if (horizon < 0).any():
        raise ValueError("the horizon t must be non-negative")
    r, alpha, a, b = parameters.as_array()
    if a + b >= LIMIT_CONCENTRATION:
        return _limit_expected_purchases(r, a / (a + b), x, horizon, alpha + age)
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

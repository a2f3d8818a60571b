"""Pareto/NBD: Poisson purchasing with an exponential lifetime, heterogeneous in both.

Sources: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They
and What Will They Do Next?", Management Science 33(1); Fader & Hardie (2005), "A Note on
Deriving the Pareto/NBD Model and Related Expressions" (equations 18-20 for the
likelihood with its α ≥ β and α < β branches, 36-37 for P(alive), 41 for the conditional
expectation); Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis", Journal of Marketing Research 42(4).

While alive, a customer buys at rate λ ~ Gamma(r, α); their lifetime is exponential with
rate μ ~ Gamma(s, β). Data per customer: (x, t_x, T) in the time unit of the data (α and
β are time scales in that unit).

Numerics: both branches' terms have the form 2F1(r+s+x, b; r+s+x+1; z)/(m+τ)^(r+s+x),
m = max(α, β), τ = t_x or T, which overflows for large x. Euler's transformation
2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z) leaves a series with positive terms
bounded by 1/(1-z) times powers of (α+τ) and (β+τ), so every term is evaluated in logs
without overflow however large x or T are; their difference is taken with ``expm1``.

The boundary: when s → 0 or β → ∞ the dropout rates shrink to 0 and nobody leaves; the
likelihood then rises forever towards the NBD, Γ(r+x)α^r/Γ(r)/(α+T)^(r+x). When the
search heads there ``fit`` fits the NBD too and, when it is at least as likely, returns
it (``FitResult.boundary``) as s = 0, β = 1, which every function here evaluates as the
NBD: P(alive) = 1, E[X(T, T+t]] = (r+x) t / (α+T).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln

from clientela.analytics.stats.btyd._fitting import (
    Boundary,
    FitResult,
    FloatArray,
    central_gradient,
    collapse_rows,
    customer_arrays,
    fit_result,
    forward_gradient,
    minimize_negative_log_likelihood,
    numeric_hessian_from_values,
    standard_errors,
)
from clientela.analytics.stats.btyd._hypergeometric import hyp2f1_one

# Below this |s - 1| the expectation uses its limit at s = 1 (a logarithm).
_S_ONE_GAP = 1e-9
# The search heads for "nobody leaves" when fewer than this share of customers would
# leave within the longest time observed; the NBD is then fitted too.
_RIDGE_DROPOUT_SHARE = 0.01


@dataclass(frozen=True)
class ParetoNBDParameters:
    """r, α: purchase rate λ ~ Gamma(shape r, rate α); s, β: dropout rate μ ~ Gamma(s, β)."""

    r: float
    alpha: float
    s: float
    beta: float

    def as_array(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.s, self.beta], dtype=float)


def _log_survival_term(parameters: FloatArray, x: FloatArray, tau: FloatArray) -> FloatArray:
    """ln of one of the two terms of A_0 (Fader & Hardie 2005, eqs. 19-20) after Euler's
    transformation: (α+τ)^-(r+x) (β+τ)^-s 2F1(1, r+x; r+s+x+1; (α-β)/(α+τ)) if α ≥ β,
    else (α+τ)^(1-r-x) (β+τ)^-(s+1) 2F1(1, s+1; r+s+x+1; (β-α)/(β+τ))."""
    r, alpha, s, beta = parameters
    if alpha >= beta:
        series = hyp2f1_one(r + x, r + s + x + 1.0, (alpha - beta) / (alpha + tau))
        return -(r + x) * np.log(alpha + tau) - s * np.log(beta + tau) + np.log(series)
    series = hyp2f1_one(s + 1.0, r + s + x + 1.0, (beta - alpha) / (beta + tau))
    return (1 - r - x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) + np.log(series)


def _log_a0(log_term_recency: FloatArray, log_term_age: FloatArray) -> FloatArray:
    """ln A_0 = ln(term(t_x) - term(T)); -inf where t_x = T."""
    difference = np.minimum(log_term_age - log_term_recency, 0.0)
    with np.errstate(divide="ignore"):
        return log_term_recency + np.log(-np.expm1(difference))


@dataclass(frozen=True)
class _Rows:
    """Customer rows with each distinct x, T and (x, τ) pair indexed, so that every
    special function and logarithm is evaluated once per distinct value."""

    x: FloatArray
    t_x: FloatArray
    age: FloatArray
    pair_x: FloatArray
    pair_tau: FloatArray
    recency_pair: np.ndarray
    age_pair: np.ndarray
    unique_x: FloatArray
    x_index: np.ndarray
    unique_age: FloatArray
    age_index: np.ndarray

    @classmethod
    def build(cls, x, t_x, age) -> _Rows:
        n = x.size
        (pair_x, pair_tau), _, inverse = collapse_rows(
            np.concatenate([x, x]), np.concatenate([t_x, age])
        )
        (unique_x,), _, x_index = collapse_rows(x)
        (unique_age,), _, age_index = collapse_rows(age)
        return cls(
            x,
            t_x,
            age,
            pair_x,
            pair_tau,
            inverse[:n],
            inverse[n:],
            unique_x,
            x_index,
            unique_age,
            age_index,
        )

    def log_likelihood(self, parameters: FloatArray) -> FloatArray:
        """Per-row ln L (Fader & Hardie 2005, eq. 18); the NBD's when s = 0."""
        r, alpha, s, beta = parameters
        if s == 0:
            return _nbd_log_likelihood(np.array([r, alpha]), self.x, self.age)
        pair_terms = _log_survival_term(parameters, self.pair_x, self.pair_tau)
        log_a0 = _log_a0(pair_terms[self.recency_pair], pair_terms[self.age_pair])
        per_x = gammaln(r + self.unique_x) - gammaln(r)
        dropout_per_x = np.log(s) - np.log(r + s + self.unique_x)
        alive_term = (
            -(r + self.x) * np.log(alpha + self.unique_age)[self.age_index]
            - s * np.log(beta + self.unique_age)[self.age_index]
        )
        dropout_term = dropout_per_x[self.x_index] + log_a0
        return (
            per_x[self.x_index]
            + (r * np.log(alpha) + s * np.log(beta))
            + np.logaddexp(alive_term, dropout_term)
        )


def _nbd_log_likelihood(parameters: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    """Per-row ln L of the NBD (nobody leaves): ln Γ(r+x) - ln Γ(r) + r ln α - (r+x) ln(α+T)."""
    r, alpha = parameters
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + age)


def _fit_nbd(x, age, row_weights, total, start: FloatArray):
    """Maximum-likelihood NBD fit (r, α) with its analytic gradient on the log scale."""

    def objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        r, alpha = np.exp(log_parameters)
        values = _nbd_log_likelihood(np.array([r, alpha]), x, age)
        d_log_r = r * (digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + age))
        d_log_alpha = r - alpha * (r + x) / (alpha + age)
        return -float(np.einsum("i,i->", row_weights, values)), -np.array(
            [np.einsum("i,i->", row_weights, d_log_r), np.einsum("i,i->", row_weights, d_log_alpha)]
        )

    return minimize_negative_log_likelihood(objective, start, total)


def log_likelihood(parameters: ParetoNBDParameters, frequency, recency, T) -> FloatArray:
    """Each customer's ln L(r, α, s, β | x, t_x, T) (Fader & Hardie 2005, eq. 18)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    rows = _Rows.build(x, t_x, age)
    return rows.log_likelihood(parameters.as_array())


def fit(
    frequency,
    recency,
    T,
    *,
    weights=None,
    initial: ParetoNBDParameters | None = None,
) -> FitResult[ParetoNBDParameters]:
    """Maximum-likelihood Pareto/NBD fit.

    Identical (x, t_x, T) rows are collapsed into weights and each distinct (x, τ) 2F1
    term is evaluated once per likelihood. The 2F1 has no closed-form parameter
    derivatives, so the gradient is by central differences on the log-parameter scale;
    standard errors come from a numeric Hessian at the optimum. When the search heads
    for s → 0 or β → ∞ (nobody leaves) the NBD is fitted too and returned, with
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
    rows = _Rows.build(x, t_x, age)

    def negative_log_likelihood(log_parameters: FloatArray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            values = rows.log_likelihood(np.exp(log_parameters))
        value = -float(np.einsum("i,i->", row_weights, values))
        return value if np.isfinite(value) else np.inf

    def search_objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        value = negative_log_likelihood(log_parameters)
        return value, forward_gradient(negative_log_likelihood, log_parameters, value)

    def precise_objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        value = negative_log_likelihood(log_parameters)
        return value, central_gradient(negative_log_likelihood, log_parameters)

    if initial is None:
        time_scale = max(float(np.average(age, weights=row_weights)), 1e-6)
        start = np.log([1.0, time_scale, 1.0, time_scale])
    else:
        start = np.log(initial.as_array())
    optimum = minimize_negative_log_likelihood(
        search_objective,
        start,
        total,
        precise_objective=precise_objective,
        hessian_function=lambda point: numeric_hessian_from_values(negative_log_likelihood, point),
    )
    r, alpha, s, beta = optimum.parameters
    leaving = -np.expm1(-s * np.log1p(float(age.max(initial=0.0)) / beta))
    if not optimum.converged or leaving < _RIDGE_DROPOUT_SHARE:
        nbd = _fit_nbd(x, age, row_weights, total, np.log([r, alpha]))
        tolerance = 1e-7 * max(1.0, abs(optimum.negative_log_likelihood))
        if nbd.negative_log_likelihood <= optimum.negative_log_likelihood + tolerance:
            return _no_dropout_result(nbd, total)
    return fit_result(ParetoNBDParameters, optimum, total)


def _no_dropout_result(optimum, total: float) -> FitResult[ParetoNBDParameters]:
    """The NBD's fit as a ``FitResult`` of Pareto/NBD: s = 0 (nobody leaves), β = 1."""
    r, alpha = map(float, optimum.parameters)
    r_error, alpha_error = map(float, standard_errors(optimum.covariance))
    nan = float("nan")
    return fit_result(
        ParetoNBDParameters,
        optimum,
        total,
        parameters=ParetoNBDParameters(r, alpha, 0.0, 1.0),
        errors=ParetoNBDParameters(r_error, alpha_error, nan, nan),
        boundary=Boundary(
            kind="no_dropout",
            parameters={"r": r, "alpha": alpha},
            standard_errors={"r": r_error, "alpha": alpha_error},
        ),
    )


def _log_odds_dropped(parameters: ParetoNBDParameters, x, t_x, age) -> FloatArray:
    """ln[s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A_0]: log odds that the customer has died."""
    rows = _Rows.build(x, t_x, age)
    values = parameters.as_array()
    r, alpha, s, beta = values
    pair_terms = _log_survival_term(values, rows.pair_x, rows.pair_tau)
    log_a0 = _log_a0(pair_terms[rows.recency_pair], pair_terms[rows.age_pair])
    return (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + age)
        + s * np.log(beta + age)
        + log_a0
    )


def probability_alive(parameters: ParetoNBDParameters, frequency, recency, T) -> FloatArray:
    """P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)^s · A_0)
    (Fader & Hardie 2005, eqs. 36-37), as a logistic of the log odds."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    if parameters.s == 0:
        return np.ones_like(x)
    return expit(-_log_odds_dropped(parameters, x, t_x, age))


def _dropout_integral(s: float, log_ratio: FloatArray) -> FloatArray:
    """(1 - e^-(s-1)L)/(s-1) with L = ln((β+T+t)/(β+T)); its limit L at s = 1."""
    if abs(s - 1) < _S_ONE_GAP:
        return log_ratio
    return -np.expm1(-(s - 1) * log_ratio) / (s - 1)


def expected_purchases_if_alive(parameters: ParetoNBDParameters, t, frequency, T) -> FloatArray:
    """E[X(T, T+t] | alive at T, x] = (r+x)(β+T) / ((α+T)(s-1)) · [1 - ((β+T)/(β+T+t))^(s-1)]
    (Fader & Hardie 2005, eq. 41 without P(alive); its limit at s = 1)."""
    x, _, age = customer_arrays(frequency, 0.0, T)
    horizon = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if (horizon < 0).any():
        raise ValueError("the horizon t must be non-negative")
    r, alpha, s, beta = parameters.as_array()
    rate = (r + x) * (beta + age) / (alpha + age)
    return rate * _dropout_integral(s, np.log1p(horizon / (beta + age)))


def conditional_expected_purchases(
    parameters: ParetoNBDParameters, t, frequency, recency, T
) -> FloatArray:
    """E[X(T, T+t] | x, t_x, T] = (r+x)(β+T) / ((α+T)(s-1)) · [1 - ((β+T)/(β+T+t))^(s-1)]
    · P(alive | x, t_x, T) (Fader & Hardie 2005, eq. 41; the s = 1 limit is used there)."""
    x, t_x, age = customer_arrays(frequency, recency, T)
    expected = expected_purchases_if_alive(parameters, t, x, age)
    return expected * probability_alive(parameters, x, t_x, age)


def expected_purchases(parameters: ParetoNBDParameters, t) -> FloatArray:
    """E[X(t)] = rβ/(α(s-1)) · [1 - (β/(β+t))^(s-1)]: expected repeat purchases in ``t``
    time units for a new customer (Schmittlein, Morrison & Colombo 1987, eq. 17)."""
    horizon = np.atleast_1d(np.asarray(t, dtype=float))
    r, alpha, s, beta = parameters.as_array()
    return r * beta / alpha * _dropout_integral(s, np.log1p(horizon / beta))

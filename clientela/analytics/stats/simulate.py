"""Simulate customers from BTYD models with known parameters (numpy only).

Every draw is vectorised per customer: the repeat-purchase count comes from its
distribution directly and the purchase times from uniform order statistics, so no loop
runs over customers or transactions. Times are continuous, in the unit of the
parameters, and start at each customer's first purchase (time 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clientela.analytics.stats.btyd.bgnbd import BGNBDParameters
from clientela.analytics.stats.btyd.gammagamma import GammaGammaParameters
from clientela.analytics.stats.btyd.paretonbd import ParetoNBDParameters

Seed = int | np.random.Generator | None


@dataclass(frozen=True, eq=False)
class SimulatedCustomers:
    """Per-customer (x, t_x, T), whether each is still alive at T, and optionally the
    transaction log (``transaction_customer`` indexes the customers; ``transaction_time``
    includes each first purchase at time 0)."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    alive: np.ndarray
    transaction_customer: np.ndarray | None = None
    transaction_time: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SimulatedSpend:
    """Per-customer mean repeat spend m̄ (0 where x = 0) and the latent rate ν."""

    monetary_value: np.ndarray
    rate: np.ndarray


def _ages(T, n_customers: int | None) -> np.ndarray:
    ages = np.asarray(T, dtype=float)
    if ages.ndim == 0:
        if n_customers is None:
            raise ValueError("n_customers is needed when T is a single number")
        ages = np.full(n_customers, float(ages))
    elif n_customers is not None and ages.size != n_customers:
        raise ValueError("T has a different length from n_customers")
    ages = ages.ravel()
    if (ages < 0).any() or not np.isfinite(ages).all():
        raise ValueError("T must be finite and non-negative")
    return ages


def _last_of_uniforms(rng, count, out_of, window) -> np.ndarray:
    """Time of the ``count``-th of ``out_of`` uniform points on (0, window): window ×
    Beta(count, out_of - count + 1); 0 where count = 0."""
    has = count > 0
    draws = rng.beta(np.where(has, count, 1), np.where(has, out_of - count + 1, 1))
    return np.where(has, window * draws, 0.0)


def _transactions(rng, frequency, recency):
    """The transaction log: the first purchase at 0, x-1 uniform times on (0, t_x), t_x."""
    n = frequency.size
    inner = np.maximum(frequency - 1, 0)
    inner_customer = np.repeat(np.arange(n), inner)
    inner_time = rng.random(inner_customer.size) * recency[inner_customer]
    buyers = np.flatnonzero(frequency > 0)
    customer = np.concatenate([np.arange(n), inner_customer, buyers])
    time = np.concatenate([np.zeros(n), inner_time, recency[buyers]])
    order = np.lexsort((time, customer))
    return customer[order], time[order]


def _result(rng, frequency, recency, ages, alive, transactions: bool) -> SimulatedCustomers:
    customer = time = None
    if transactions:
        customer, time = _transactions(rng, frequency, recency)
    return SimulatedCustomers(
        frequency=frequency,
        recency=recency,
        T=ages,
        alive=alive,
        transaction_customer=customer,
        transaction_time=time,
    )


def simulate_bgnbd(
    parameters: BGNBDParameters,
    T,
    *,
    n_customers: int | None = None,
    seed: Seed = None,
    transactions: bool = False,
) -> SimulatedCustomers:
    """Customers from the BG/NBD model (Fader, Hardie & Lee 2005): λ ~ Gamma(r, α),
    p ~ Beta(a, b); the customer drops out right after their J-th repeat purchase,
    J ~ Geometric(p). ``T`` is each customer's age (or one age for ``n_customers``)."""
    rng = np.random.default_rng(seed)
    ages = _ages(T, n_customers)
    n = ages.size
    rate = rng.gamma(parameters.r, 1 / parameters.alpha, n)
    dropout = np.clip(rng.beta(parameters.a, parameters.b, n), 1e-300, 1.0)
    purchases_until_dropout = rng.geometric(dropout)
    purchases_by_age = rng.poisson(rate * ages)
    frequency = np.minimum(purchases_until_dropout, purchases_by_age).astype(np.int64)
    recency = _last_of_uniforms(rng, frequency, purchases_by_age, ages)
    alive = purchases_until_dropout > purchases_by_age
    return _result(rng, frequency, recency, ages, alive, transactions)


def simulate_paretonbd(
    parameters: ParetoNBDParameters,
    T,
    *,
    n_customers: int | None = None,
    seed: Seed = None,
    transactions: bool = False,
) -> SimulatedCustomers:
    """Customers from the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987):
    λ ~ Gamma(r, α), μ ~ Gamma(s, β), lifetime τ ~ Exponential(μ)."""
    rng = np.random.default_rng(seed)
    ages = _ages(T, n_customers)
    n = ages.size
    rate = rng.gamma(parameters.r, 1 / parameters.alpha, n)
    death_rate = rng.gamma(parameters.s, 1 / parameters.beta, n)
    with np.errstate(divide="ignore"):
        lifetime = rng.exponential(1.0, n) / death_rate
    active = np.minimum(lifetime, ages)
    frequency = rng.poisson(rate * active).astype(np.int64)
    recency = _last_of_uniforms(rng, frequency, frequency, active)
    alive = lifetime > ages
    return _result(rng, frequency, recency, ages, alive, transactions)


def simulate_spend(
    parameters: GammaGammaParameters, frequency, *, seed: Seed = None
) -> SimulatedSpend:
    """Mean spend of each customer's x repeat purchases under the Gamma-Gamma model
    (Fader, Hardie & Lee 2005): ν ~ Gamma(q, γ), values ~ Gamma(p, ν), so
    m̄ ~ Gamma(px, xν)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=float).ravel()
    rate = rng.gamma(parameters.q, 1 / parameters.gamma, x.size)
    has = x > 0
    mean = rng.gamma(np.where(has, parameters.p * x, 1.0), 1 / (np.where(has, x, 1.0) * rate))
    return SimulatedSpend(monetary_value=np.where(has, mean, 0.0), rate=rate)


def simulate_transaction_amounts(
    parameters: GammaGammaParameters, transaction_customer, *, seed: Seed = None
) -> np.ndarray:
    """One Gamma(p, ν) value per transaction, ν ~ Gamma(q, γ) drawn once per customer
    (``transaction_customer`` holds customer indices 0..n-1)."""
    rng = np.random.default_rng(seed)
    customer = np.asarray(transaction_customer, dtype=np.int64).ravel()
    n = int(customer.max(initial=-1)) + 1
    rate = rng.gamma(parameters.q, 1 / parameters.gamma, n)
    return rng.gamma(parameters.p, 1.0, customer.size) / rate[customer]

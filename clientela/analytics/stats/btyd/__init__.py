""" "Buy till you die" models and customer lifetime value (numpy + scipy, no Django).

- ``bgnbd``: BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
- ``paretonbd``: Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005
  notes).
- ``gammagamma``: Gamma-Gamma spend (Fader, Hardie & Lee 2005, "RFM and CLV").

Each module has ``fit`` (maximum likelihood, returning a frozen ``FitResult``),
``log_likelihood``, ``probability_alive`` / ``conditional_expected_purchases`` (or
``expected_average_spend``). Parameters are in the time unit of the data they were fitted
on (days or weeks, see ``summary``); so are horizons ``t``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from clientela.analytics.stats import PURCHASE_MODELS
from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd
from clientela.analytics.stats.btyd._fitting import (
    FitResult,
    collapse_rows,
    customer_arrays,
    fit_timed,
)
from clientela.analytics.stats.btyd.bgnbd import BGNBDParameters
from clientela.analytics.stats.btyd.gammagamma import GammaGammaParameters
from clientela.analytics.stats.btyd.paretonbd import ParetoNBDParameters

__all__ = [
    "PURCHASE_MODELS",
    "UNITS_PER_MONTH",
    "BGNBDParameters",
    "FitResult",
    "GammaGammaParameters",
    "ParetoNBDParameters",
    "bgnbd",
    "conditional_expected_purchases",
    "customer_lifetime_value",
    "expected_purchases_if_alive",
    "fit_timed",
    "gammagamma",
    "paretonbd",
    "probability_alive",
    "purchase_models_by_preference",
    "value_if_alive",
]

# Length of a month in each time unit, as lifetimes' customer_lifetime_value has them
# (a month is 30 days, or 4.345 weeks ≈ 30.4 days).
UNITS_PER_MONTH: dict[str, float] = {"day": 30.0, "week": 4.345}

TransactionParameters = BGNBDParameters | ParetoNBDParameters


def purchase_models_by_preference(preferred: str) -> list[str]:
    """``PURCHASE_MODELS``, ``preferred`` first: the order in which one is found to score
    the customers (the next one when a model cannot be used)."""
    return sorted(PURCHASE_MODELS, key=lambda name: name != preferred)


def _model(parameters: TransactionParameters):
    if isinstance(parameters, BGNBDParameters):
        return bgnbd
    if isinstance(parameters, ParetoNBDParameters):
        return paretonbd
    raise TypeError(f"not a purchase model's parameters: {parameters!r}")


def probability_alive(parameters: TransactionParameters, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) under whichever purchase model ``parameters`` belong to."""
    return _model(parameters).probability_alive(parameters, frequency, recency, T)


def expected_purchases_if_alive(parameters: TransactionParameters, t, frequency, T) -> np.ndarray:
    """Expected repeat purchases in the next ``t`` time units of a customer still alive,
    under whichever purchase model ``parameters`` belong to."""
    return _model(parameters).expected_purchases_if_alive(parameters, t, frequency, T)


def conditional_expected_purchases(
    parameters: TransactionParameters, t, frequency, recency, T
) -> np.ndarray:
    """Expected repeat purchases in the next ``t`` time units under whichever purchase
    model ``parameters`` belong to."""
    return _model(parameters).conditional_expected_purchases(parameters, t, frequency, recency, T)


def customer_lifetime_value(
    purchase_parameters: TransactionParameters,
    spend_parameters: GammaGammaParameters,
    frequency,
    recency,
    T,
    monetary_value,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    time_unit: Literal["day", "week"] = "day",
) -> np.ndarray:
    """Discounted expected value of each customer's purchases over the next ``months``.

    CLV = Σ_{i=1..months} (E[X(i·u)] - E[X((i-1)·u)]) · E[M] / (1 + d)^i, where E[X(t)] is
    the purchase model's conditional expected purchases, E[M] the Gamma-Gamma expected
    average spend, d the monthly discount rate and u the month in the model's time unit
    (``UNITS_PER_MONTH``: 30 days or 4.345 weeks, as lifetimes'
    ``customer_lifetime_value`` with ``freq="D"`` or ``"W"``; Fader, Hardie & Lee 2005,
    "RFM and CLV", discount the same cash flows in continuous time). ``time_unit`` must
    be the unit of the data the purchase model was fitted on. It is the probability alive
    times ``value_if_alive``.
    """
    x, t_x, age = customer_arrays(frequency, recency, T)
    spend = gammagamma.expected_average_spend(spend_parameters, x, monetary_value)
    alive = _model(purchase_parameters).probability_alive(purchase_parameters, x, t_x, age)
    return alive * value_if_alive(
        purchase_parameters,
        x,
        age,
        spend,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
        time_unit=time_unit,
    )


def value_if_alive(
    purchase_parameters: TransactionParameters,
    frequency,
    T,
    spend,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    time_unit: Literal["day", "week"] = "day",
) -> np.ndarray:
    """The lifetime value of ``customer_lifetime_value`` for a customer still alive:
    Σ_{i=1..months} (E[X(i·u) | alive] - E[X((i-1)·u) | alive]) · ``spend`` / (1 + d)^i.

    The expectation given alive depends on (x, T) only: the discounted sum is worked out
    once for each different pair."""
    if months < 0:
        raise ValueError("months must be non-negative")
    if monthly_discount_rate <= -1:
        raise ValueError("the discount rate must be greater than -100%")
    model = _model(purchase_parameters)
    x, _, age = customer_arrays(frequency, 0.0, T)
    month_length = UNITS_PER_MONTH[time_unit]
    (unique_x, unique_age), _, inverse = collapse_rows(x, age)
    discounted = np.zeros(unique_x.size)
    previous = np.zeros(unique_x.size)
    for month in range(1, months + 1):
        cumulative = model.expected_purchases_if_alive(
            purchase_parameters, month * month_length, unique_x, unique_age
        )
        discounted += (cumulative - previous) / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return np.asarray(spend, dtype=float) * discounted[inverse]

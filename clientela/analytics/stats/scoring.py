"""The scoring pipeline: from per-customer purchase summaries to every customer's scores
(numpy + scipy, no Django). The database run (``analytics.services``) and the offline
analysis (``analytics.offline``) both read their purchases into a ``TransactionSummary``
and call ``score``; each then stores or writes what it needs.

- **Models** (``models_fit``): BG/NBD and Pareto/NBD on every customer's (frequency,
  recency, T), Gamma-Gamma on the repeat buyers whose repeat purchases have a positive
  mean value. A model not asked for, or short of data (``ScoringOptions``' minimums),
  is skipped. A fit that raises, or gives values that are not finite numbers, failed;
  one that did not converge, or a Gamma-Gamma with q ≤ 1 (an infinite expected spend),
  is kept but not used. A fit at the edge of its model (``FitResult.boundary``) is
  used. The purchase model asked for scores the customers, the other one if it cannot.
- **Probability alive** and **expected purchases** over ``horizon``: the purchase model's.
- **Expected spend** per purchase (``expected_spend``): Gamma-Gamma's expectation given
  the customer's x repeat purchases of mean value m̄ (Fader & Hardie 2013, eq. 5),
  p(γ + x·m̄)/(px + q - 1): the average customer's without repeat purchases, drawn
  towards their own mean the more of them there are; a mean below zero (refunds beyond
  purchases) counts as 0.
- **Lifetime value**: the probability alive × the value if still alive, the expected
  spend on the purchases expected month by month over ``clv_months`` months, discounted
  at ``monthly_discount_rate`` a month (``btyd.value_if_alive``, as lifetimes'
  ``customer_lifetime_value``); it needs both models.
- **RFM** (``stats.rfm``): recency = time since the last purchase, frequency, monetary =
  revenue (the frequency again without amounts).
- **Pareto classes** (``stats.pareto``) over the revenue the caller gives (all of it by
  default), equal revenues ranked by position.

Beside it, for the database run: ``value_at_stake`` and ``churn_flags``.

Outcomes carry codes, not words (``FitOutcome.reason``): the caller words them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from clientela.analytics.stats import PURCHASE_MODELS, UNIT_DAYS, btyd
from clientela.analytics.stats.btyd import FitResult, GammaGammaParameters
from clientela.analytics.stats.pareto import ParetoResult, pareto_classes
from clientela.analytics.stats.rfm import RFMResult, rfm
from clientela.analytics.stats.summary import TimeUnit, TransactionSummary

# Every model, in the order they are reported.
MODELS: tuple[str, ...] = (*PURCHASE_MODELS, "gammagamma")

# A reported parameter outside this range has run off to a limit of the model.
EXTREME_PARAMETERS = (1e-6, 1e6)

_DAYS_PER_YEAR = 365.0

# Runs independent pieces of work and returns their results in order: one after the
# other (``in_turn``) or at the same time (the caller's threads).
Runner = Callable[..., list[Any]]

# Told each step as it starts: a model's name before its fit, "scores" before the scores.
Announce = Callable[[str], None]


def in_turn(*work: Callable[[], Any]) -> list[Any]:
    """The results of ``work``, run one after the other."""
    return [task() for task in work]


@dataclass(frozen=True)
class ScoringOptions:
    """How customers are scored. ``time_unit`` is the unit of the summary's recency and
    T, and of ``horizon`` (expected purchases); a month is ``btyd.UNITS_PER_MONTH`` of
    it. A purchase model needs ``min_customers`` customers and ``min_repeat_buyers``
    repeat buyers, Gamma-Gamma ``min_spenders`` repeat buyers of positive mean value."""

    models: Collection[str] = MODELS
    purchase_model: str = "bgnbd"
    time_unit: TimeUnit = "day"
    horizon: float = 90.0
    clv_months: int = 12
    monthly_discount_rate: float = 0.01
    min_customers: int = 0
    min_repeat_buyers: int = 1
    min_spenders: int = 1


@dataclass(frozen=True, eq=False)
class FitOutcome:
    """A model's fit, or why there is none.

    ``status``: fitted, boundary (fitted at a limit of the model), not_converged,
    unusable, failed or skipped; only fitted and boundary fits score. ``reason`` is a
    code: ``not_wanted``, ``no_amounts``, ``too_few_customers``,
    ``too_few_repeat_buyers`` or ``too_few_spenders`` (with ``count`` and ``minimum``)
    for a skipped model; ``error`` (the exception's text in ``error``) or ``not_finite``
    for a failed one; ``not_converged``; ``infinite_spend`` (Gamma-Gamma's q ≤ 1).
    ``extreme`` names the reported parameters of a usable fit that ran off to a limit
    (the data cannot pin them down)."""

    status: str
    fit: FitResult | None = None
    reason: str | None = None
    count: int | None = None
    minimum: int | None = None
    error: str | None = None
    seconds: float = 0.0
    extreme: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.status in ("fitted", "boundary")


def fit_outcome(
    model: str, fit: FitResult | None, error: Exception | None, seconds: float
) -> FitOutcome:
    """Judge a fit of ``model`` (what ``btyd.fit_timed`` returns): failed, not converged,
    unusable, or fitted (at the edge of the model or not)."""
    if error is not None or fit is None:
        return FitOutcome("failed", reason="error", error=str(error), seconds=seconds)
    parameters, _errors = fit.reported()
    finite = (
        math.isfinite(fit.log_likelihood)
        and np.isfinite(fit.parameters.as_array()).all()
        and all(math.isfinite(value) for value in parameters.values())
    )
    if not finite:
        return FitOutcome("failed", fit, "not_finite", seconds=seconds)
    if not fit.converged:
        return FitOutcome("not_converged", fit, "not_converged", seconds=seconds)
    if isinstance(fit.parameters, GammaGammaParameters) and fit.parameters.q <= 1:
        return FitOutcome("unusable", fit, "infinite_spend", seconds=seconds)
    low, high = EXTREME_PARAMETERS
    # p, a limit's chance of leaving, is a probability: near 0 it means nobody leaves.
    extreme = tuple(
        name for name, value in parameters.items() if name != "p" and not low <= value <= high
    )
    return FitOutcome(fit.status, fit, seconds=seconds, extreme=extreme)


def _fitted(model: str, *arrays: np.ndarray) -> tuple[FitResult | None, Exception | None, float]:
    """``btyd.fit_timed`` of ``model``'s fit, numpy's warnings silenced (a function of
    the module's, so that another process can run it)."""
    with np.errstate(all="ignore"):
        return btyd.fit_timed(getattr(btyd, model).fit, *arrays)


@dataclass(eq=False)
class ModelFits:
    """Each model's outcome, in ``MODELS``' order (``None`` for one still fitted aside,
    in ``pending``), and the purchase model that scores (``None`` if none can).
    ``settle`` waits for the fits aside."""

    outcomes: dict[str, FitOutcome | None]
    pending: dict[str, Future] = field(default_factory=dict)
    purchase_name: str | None = None

    @property
    def purchase(self) -> FitResult | None:
        """The fit of the purchase model that scores."""
        if self.purchase_name is None:
            return None
        outcome = self.outcomes[self.purchase_name]
        return None if outcome is None else outcome.fit

    @property
    def spend(self) -> FitResult | None:
        """Gamma-Gamma's fit, if usable."""
        outcome = self.outcomes["gammagamma"]
        return outcome.fit if outcome is not None and outcome.usable else None

    def take(self, model: str) -> FitOutcome:
        """Wait for a fit aside and judge it."""
        outcome = fit_outcome(model, *self.pending.pop(model).result())
        self.outcomes[model] = outcome
        return outcome

    def settle(self) -> None:
        """Wait for the fits aside and judge them."""
        for model in list(self.pending):
            self.take(model)


def _skipped(reason: str, count: int | None = None, minimum: int | None = None) -> FitOutcome:
    return FitOutcome("skipped", reason=reason, count=count, minimum=minimum)


def _spenders(summary: TransactionSummary) -> np.ndarray:
    """Repeat buyers whose repeat purchases have a positive mean value: Gamma-Gamma's
    data."""
    assert summary.monetary_value is not None
    return (summary.frequency > 0) & (summary.monetary_value > 0)


def _skips(summary: TransactionSummary, options: ScoringOptions) -> dict[str, FitOutcome | None]:
    """Each model skipped (not asked for, or short of data), or ``None`` to fit it."""
    customers = int(summary.frequency.size)
    repeat_buyers = int((summary.frequency > 0).sum())
    skips: dict[str, FitOutcome | None] = {}
    for model in PURCHASE_MODELS:
        if model not in options.models:
            skips[model] = _skipped("not_wanted")
        elif customers < options.min_customers:
            skips[model] = _skipped("too_few_customers", customers, options.min_customers)
        elif repeat_buyers < options.min_repeat_buyers:
            skips[model] = _skipped(
                "too_few_repeat_buyers", repeat_buyers, options.min_repeat_buyers
            )
        else:
            skips[model] = None
    if "gammagamma" not in options.models:
        skips["gammagamma"] = _skipped("not_wanted")
    elif summary.monetary_value is None:
        skips["gammagamma"] = _skipped("no_amounts")
    elif (spenders := int(_spenders(summary).sum())) < options.min_spenders:
        skips["gammagamma"] = _skipped("too_few_spenders", spenders, options.min_spenders)
    else:
        skips["gammagamma"] = None
    return skips


def models_fit(
    summary: TransactionSummary,
    options: ScoringOptions,
    *,
    together: Runner = in_turn,
    aside: Executor | None = None,
    announce: Announce | None = None,
) -> ModelFits:
    """Fit the models ``options`` ask for, that the data support, and find the purchase
    model that scores: the one asked for, else the other one if it is usable.

    ``together`` runs the fits (with ``aside``, those of the chosen purchase model and
    Gamma-Gamma). ``aside``, if given, fits the other purchase model meanwhile, only a
    comparison unless the chosen one cannot be used: it is waited for then, or by
    ``ModelFits.settle``. ``announce`` is told each model's name before the fits start.
    """
    outcomes = _skips(summary, options)
    wanted = [model for model in MODELS if outcomes[model] is None]
    if announce is not None:
        for model in wanted:
            announce(model)
    x, t_x, age = summary.frequency, summary.recency, summary.T
    arrays: dict[str, tuple[np.ndarray, ...]] = dict.fromkeys(PURCHASE_MODELS, (x, t_x, age))
    if "gammagamma" in wanted:
        spenders = _spenders(summary)
        monetary_value = summary.monetary_value
        assert monetary_value is not None  # Gamma-Gamma is wanted only with amounts
        arrays["gammagamma"] = (x[spenders], monetary_value[spenders])
    preferred = btyd.purchase_models_by_preference(options.purchase_model)
    eligible = [model for model in preferred if model in wanted]
    fits = ModelFits(outcomes)
    if aside is not None:
        # The comparisons start first; the chosen model is fitted meanwhile.
        for model in eligible[1:]:
            fits.pending[model] = aside.submit(_fitted, model, *arrays[model])
    inline = [model for model in wanted if model not in fits.pending]
    if inline:
        results = together(*(partial(_fitted, model, *arrays[model]) for model in inline))
        for model, result in zip(inline, results, strict=True):
            outcomes[model] = fit_outcome(model, *result)
    for model in eligible:
        outcome = fits.take(model) if model in fits.pending else outcomes[model]
        if outcome is not None and outcome.usable:
            fits.purchase_name = model
            break
    return fits


def expected_spend(parameters: GammaGammaParameters, frequency, monetary_value) -> np.ndarray:
    """Each customer's expected spend per purchase under Gamma-Gamma (eq. 5), for every
    customer: a mean repeat spend below zero (refunds beyond purchases) counts as 0."""
    value = np.maximum(np.asarray(monetary_value, dtype=float), 0.0)
    return btyd.gammagamma.expected_average_spend(parameters, frequency, value)


@dataclass(frozen=True, eq=False)
class CustomerScores:
    """Per-customer scores, in the order of the summary. The model figures are ``None``
    without their model: probability alive and expected purchases without a purchase
    model, expected spend without Gamma-Gamma, the value if alive and the lifetime
    value without both. ``pareto`` is ``None`` without amounts."""

    probability_alive: np.ndarray | None
    expected_purchases: np.ndarray | None
    expected_spend: np.ndarray | None
    value_if_alive: np.ndarray | None
    clv: np.ndarray | None
    rfm: RFMResult
    pareto: ParetoResult | None


@dataclass(frozen=True, eq=False)
class Scored:
    """What ``score`` gives: the models and the customers' scores."""

    fits: ModelFits
    customers: CustomerScores


def rfm_scores(summary: TransactionSummary) -> RFMResult:
    """RFM scores and segments: recency is the time since the last purchase, monetary
    the revenue (the frequency without amounts)."""
    x, revenue = summary.frequency, summary.total_amount
    return rfm(summary.T - summary.recency, x, x if revenue is None else revenue)


def _predictions(
    summary: TransactionSummary, fits: ModelFits, options: ScoringOptions
) -> tuple[np.ndarray | None, ...]:
    """Probability alive, expected purchases, expected spend, value if alive and lifetime
    value (``None`` without their models)."""
    x, t_x, age = summary.frequency, summary.recency, summary.T
    alive = expected = spend = value = clv = None
    purchase = fits.purchase
    with np.errstate(all="ignore"):
        if purchase is not None:
            alive = btyd.probability_alive(purchase.parameters, x, t_x, age)
            expected = alive * btyd.expected_purchases_if_alive(
                purchase.parameters, options.horizon, x, age
            )
        if fits.spend is not None:
            spend = expected_spend(fits.spend.parameters, x, summary.monetary_value)
            if purchase is not None:
                value = btyd.value_if_alive(
                    purchase.parameters,
                    x,
                    age,
                    spend,
                    months=options.clv_months,
                    monthly_discount_rate=options.monthly_discount_rate,
                    time_unit=options.time_unit,
                )
                clv = alive * value
    return alive, expected, spend, value, clv


def score(
    summary: TransactionSummary,
    options: ScoringOptions,
    *,
    pareto_revenue: np.ndarray | None = None,
    together: Runner = in_turn,
    aside: Executor | None = None,
    announce: Announce | None = None,
) -> Scored:
    """Fit the models and score every customer of ``summary``.

    ``pareto_revenue`` is the revenue the Pareto classes are made on (default: all of
    it). ``together`` runs independent steps: the fits beside the RFM scores, then the
    predictions beside the Pareto classes; ``aside`` and ``announce`` are
    ``models_fit``'s (``announce`` is also told "scores" as the scoring starts).
    """
    fits, rfm_result = together(
        lambda: models_fit(summary, options, together=together, aside=aside, announce=announce),
        lambda: rfm_scores(summary),
    )
    if announce is not None:
        announce("scores")
    revenue = summary.total_amount if pareto_revenue is None else pareto_revenue
    predictions, pareto = together(
        lambda: _predictions(summary, fits, options),
        lambda: None if revenue is None else pareto_classes(revenue),
    )
    alive, expected, spend, value, clv = predictions
    return Scored(
        fits=fits,
        customers=CustomerScores(
            probability_alive=alive,
            expected_purchases=expected,
            expected_spend=spend,
            value_if_alive=value,
            clv=clv,
            rfm=rfm_result,
            pareto=pareto,
        ),
    )


def value_at_stake(
    summary: TransactionSummary, scores: CustomerScores, *, time_unit: TimeUnit = "day"
) -> np.ndarray:
    """What each customer brings while they keep buying: their value if still alive when
    the models are usable, else their revenue per year since the first purchase
    (counting at least a year)."""
    if scores.value_if_alive is not None:
        return scores.value_if_alive
    assert summary.total_amount is not None
    days = summary.T * UNIT_DAYS[time_unit]
    return summary.total_amount * _DAYS_PER_YEAR / np.maximum(days + 1, _DAYS_PER_YEAR)


@dataclass(frozen=True)
class ChurnRules:
    """When a customer is at risk or lost: by the model, with a probability alive below
    ``at_risk_alive`` or ``lost_alive``; by their rhythm, silent for more than
    ``at_risk_intervals`` or ``lost_intervals`` times their usual interval."""

    at_risk_alive: float = 0.5
    lost_alive: float = 0.2
    at_risk_intervals: float = 2.0
    lost_intervals: float = 3.0


@dataclass(frozen=True, eq=False)
class Churn:
    """Per customer: the usual interval between purchases (NaN for a single purchase)
    and the warnings of the model and of the rule (a lost customer is not also at
    risk)."""

    usual_interval: np.ndarray
    at_risk_by_model: np.ndarray
    lost_by_model: np.ndarray
    at_risk_by_rule: np.ndarray
    lost_by_rule: np.ndarray


def churn_flags(
    summary: TransactionSummary, probability_alive: np.ndarray | None, rules: ChurnRules
) -> Churn:
    """Who is at risk or lost, by the model (no warning without one) and by their
    rhythm: the time since the last purchase against their usual interval, the mean gap
    between their purchases; customers with a single purchase are measured against the
    median usual interval of those who bought again."""
    x, t_x = summary.frequency, summary.recency
    silence = summary.T - t_x
    repeat = x > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        usual = np.where(repeat, t_x / x, np.nan)
    typical = float(np.median(usual[repeat])) if repeat.any() else math.nan
    interval = np.where(repeat, usual, typical)
    with np.errstate(invalid="ignore"):
        lost_by_rule = silence > rules.lost_intervals * interval
        at_risk_by_rule = ~lost_by_rule & (silence > rules.at_risk_intervals * interval)
    if probability_alive is not None:
        lost_by_model = probability_alive < rules.lost_alive
        at_risk_by_model = ~lost_by_model & (probability_alive < rules.at_risk_alive)
    else:
        lost_by_model = at_risk_by_model = np.zeros(x.size, dtype=bool)
    return Churn(
        usual_interval=usual,
        at_risk_by_model=at_risk_by_model,
        lost_by_model=lost_by_model,
        at_risk_by_rule=at_risk_by_rule,
        lost_by_rule=lost_by_rule,
    )

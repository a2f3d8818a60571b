"""Writes for analytics: the analysis run that scores every customer, stages set by hand
on the customer ladder, and shares of wallet.

``analysis_run`` reads the order book as of a date (``_book_read``), scores it with the
pipeline the offline analysis shares (``stats.scoring.score``, beside it the ladder) and
stores one ``CustomerScore`` per live customer for it (``_scores_save``). How each figure
is made (times in days):

- **Summary** (frequency, recency, T, mean repeat spend): computed by the database, see
  ``selectors.customer_summary_sql``.
- **Models**: BG/NBD and Pareto/NBD for the purchases, Gamma-Gamma for the spend, each
  fitted by maximum likelihood on every customer with a purchase (Gamma-Gamma on those
  with a repeat purchase of positive value). With fewer than
  ``CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS`` repeat buyers (of positive value, for
  Gamma-Gamma) a model is skipped, and one that fails or does not converge is reported
  in the run and not used. A fit whose optimum lies at the edge of the parameters
  (``FitResult.boundary``: everyone leaves with the same chance, or nobody leaves) is
  used: it is recorded as ``boundary`` with the limiting model's parameters.
  ``CLIENTELA_ANALYTICS_PURCHASE_MODEL`` picks the purchase model that scores the
  customers (the other one if it cannot be used).
- **Warnings** (``figures["warnings"]``, shown at the top of the dashboard and in the
  API): a model that failed or did not converge, the scoring model replaced by the
  other one, no purchase model at all, and a scoring model other than the previous
  run's (with both mean lifetime values, ``figures["previous"]``).
- **Per customer** (``stats.scoring``): probability alive, expected purchases over the
  next ``CLIENTELA_ANALYTICS_HORIZON_DAYS``, expected spend per purchase (Gamma-Gamma's,
  from the repeat purchases; the average customer's without any), and the lifetime
  value over ``CLIENTELA_ANALYTICS_CLV_MONTHS`` months of 30 days discounted at
  ``CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE`` a month; empty without usable models.
- **RFM**: recency = days since the last purchase, frequency = purchase days, monetary
  = revenue of all time; scores and segments of ``stats/rfm.py``.
- **Pareto classes** over the revenue of the last ``CLIENTELA_ANALYTICS_PARETO_MONTHS``
  months (to ``as_of`` inclusive); customers without purchases have no class.
- **Ladder**: ``stats/ladder.py`` with the ``CLIENTELA_ANALYTICS_*`` thresholds; a
  customer without purchases is *potential* when they came from one of
  ``CLIENTELA_ANALYTICS_PROSPECT_SOURCES``, were referred by someone, or have an order
  that was never bought (a quote); the share of wallet is the latest recorded up to
  ``as_of``. A stage set by hand wins over the rules (both are stored).
- **Lost and at risk by the model**: probability alive below
  ``CLIENTELA_ANALYTICS_LOST_ALIVE`` is lost; below ``CLIENTELA_ANALYTICS_AT_RISK_ALIVE``
  (and not lost) at risk.
- **Lost and at risk by rule**: silent for more than ``CLIENTELA_ANALYTICS_LOST_INTERVALS``
  times their usual interval (the mean gap between their purchase days) is lost, for
  more than ``CLIENTELA_ANALYTICS_AT_RISK_INTERVALS`` times (and not lost) at risk.
  Customers with a single purchase are measured against the median usual interval of
  the customers who bought again.
- **Value at stake**: the yearly value a customer brings while they keep buying: their
  expected spend over the lifetime-value horizon if still alive (the lifetime value
  without the probability of having left) when the models are usable, else their
  revenue per year since the first purchase (counting at least a year).

Ladder transitions: a run compares each customer's stage with the one before it (their
stage in the previous run's scores, or the latest change by hand made since that run's
date) and records every change, dated ``as_of``. A rerun for the same date replaces that date's scores and the
transitions it inferred. A run for a date earlier than the latest finished run stores
its scores but leaves the transitions alone (they follow the runs forward in time).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics import selectors, wording
from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    CustomerWallet,
    LadderOverride,
    LadderStage,
    LadderTransition,
    RunStatus,
    RunStep,
    TransitionSource,
)
from clientela.analytics.stats import PURCHASE_MODELS, ladder, rfm, scoring
from clientela.core.access import Capability
from clientela.core.bulk import Nullable, columns_insert
from clientela.core.heartbeat import LOST_AFTER, beat_lost, beating
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.core.sql import day_number
from clientela.customers.models import Customer

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, str], None]

# Statuses of a fit that should have been usable.
BROKEN = ("failed", "not_converged", "unusable")
# Rows written to the database at a time.
# From this many customer rows a comparison model is fitted in another process.
PROCESS_FIT_ROWS = 100_000
# SQLite's page cache while scores are written (KiB).
SQLITE_CACHE_KIB = 256 * 1024
# Money figures are stored with two decimals in 16 digits.
_MONEY_LIMIT = 1e13


# --- options -------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisOptions:
    """The settings a run uses (``CLIENTELA_ANALYTICS_*``, see ``clientela/settings.py``)."""

    models: tuple[str, ...]
    purchase_model: str
    min_repeat_buyers: int
    horizon_days: int
    clv_months: int
    monthly_discount_rate: float
    pareto_months: int
    at_risk_alive: float
    lost_alive: float
    at_risk_intervals: float
    lost_intervals: float
    prospect_sources: tuple[str, ...]
    ladder: ladder.LadderRules

    @classmethod
    def from_settings(cls) -> AnalysisOptions:
        options = cls(
            models=tuple(settings.CLIENTELA_ANALYTICS_MODELS),
            purchase_model=settings.CLIENTELA_ANALYTICS_PURCHASE_MODEL,
            min_repeat_buyers=settings.CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS,
            horizon_days=settings.CLIENTELA_ANALYTICS_HORIZON_DAYS,
            clv_months=settings.CLIENTELA_ANALYTICS_CLV_MONTHS,
            monthly_discount_rate=settings.CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE,
            pareto_months=settings.CLIENTELA_ANALYTICS_PARETO_MONTHS,
            at_risk_alive=settings.CLIENTELA_ANALYTICS_AT_RISK_ALIVE,
            lost_alive=settings.CLIENTELA_ANALYTICS_LOST_ALIVE,
            at_risk_intervals=settings.CLIENTELA_ANALYTICS_AT_RISK_INTERVALS,
            lost_intervals=settings.CLIENTELA_ANALYTICS_LOST_INTERVALS,
            prospect_sources=tuple(settings.CLIENTELA_ANALYTICS_PROSPECT_SOURCES),
            ladder=ladder.LadderRules(
                window_days=settings.CLIENTELA_ANALYTICS_LADDER_WINDOW_DAYS,
                regular_min_purchases=settings.CLIENTELA_ANALYTICS_REGULAR_MIN_PURCHASES,
                regular_max_variation=settings.CLIENTELA_ANALYTICS_REGULAR_MAX_VARIATION,
                regular_max_silence=settings.CLIENTELA_ANALYTICS_REGULAR_MAX_SILENCE or None,
                exclusive_min_share=settings.CLIENTELA_ANALYTICS_EXCLUSIVE_MIN_SHARE / 100,
                advocate_min_referrals=settings.CLIENTELA_ANALYTICS_ADVOCATE_MIN_REFERRALS,
            ),
        )
        unknown = set(options.models) - set(scoring.MODELS)
        if unknown:
            raise ValueError(f"unknown analytics models: {', '.join(sorted(unknown))}")
        if options.purchase_model not in PURCHASE_MODELS:
            raise ValueError(f"the purchase model must be one of {', '.join(PURCHASE_MODELS)}")
        if options.horizon_days < 1 or options.clv_months < 0 or options.pareto_months < 1:
            raise ValueError("the analytics horizons must be positive")
        if not 0 <= options.lost_alive <= options.at_risk_alive <= 1:
            raise ValueError("need 0 <= CLIENTELA_ANALYTICS_LOST_ALIVE <= ..._AT_RISK_ALIVE <= 1")
        if not 0 < options.at_risk_intervals <= options.lost_intervals:
            raise ValueError("need 0 < ..._AT_RISK_INTERVALS <= ..._LOST_INTERVALS")
        return options

    def as_json(self) -> dict:
        return dataclasses.asdict(self)

    def scoring_options(self) -> scoring.ScoringOptions:
        """The options of the scoring pipeline (times in days)."""
        return scoring.ScoringOptions(
            models=self.models,
            purchase_model=self.purchase_model,
            time_unit="day",
            horizon=self.horizon_days,
            clv_months=self.clv_months,
            monthly_discount_rate=self.monthly_discount_rate,
            min_repeat_buyers=self.min_repeat_buyers,
            min_spenders=self.min_repeat_buyers,
        )

    def churn_rules(self) -> scoring.ChurnRules:
        """When a customer is at risk or lost, by the model and by their rhythm."""
        return scoring.ChurnRules(
            at_risk_alive=self.at_risk_alive,
            lost_alive=self.lost_alive,
            at_risk_intervals=self.at_risk_intervals,
            lost_intervals=self.lost_intervals,
        )


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


# --- the run -------------------------------------------------------------------------


class _Progress:
    """Stores a run's progress (committed as it goes) and tells the caller."""

    def __init__(self, run: AnalysisRun, callback: ProgressCallback | None):
        self.run = run
        self.callback = callback
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}

    def __call__(self, percent: int, step: str) -> None:
        now = time.monotonic()
        previous = RunStep(self.run.step).value
        self.seconds[previous] = round(self.seconds.get(previous, 0.0) + now - self.started, 3)
        self.started = now
        self.run.progress, self.run.step = percent, RunStep(step).value
        AnalysisRun.objects.filter(pk=self.run.pk).update(progress=percent, step=step)
        if self.callback is not None:
            self.callback(percent, str(RunStep(step).label))


def analysis_run(
    *,
    actor: User | None,
    as_of: date | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> AnalysisRun:
    """Score every live customer as of ``as_of`` (default: today) and store the scores.

    Unlike other services this is not one transaction: the run is recorded at once and
    its ``progress`` (0–100) and ``step`` are committed as it goes, so another request
    can show them; ``progress(percent, step label)`` is also called. The purchases are
    read in one transaction and the scores of the date replaced in another at the end.
    A failure does not raise: the run comes back ``failed`` with the error, and the
    scores stored before stay as they were (only ``AccessDenied`` is raised, before
    anything is recorded). Two runs for the same date at once: the second to save fails.
    Only the owner (or the system, ``actor=None``) may run it.
    """
    actor_check(actor, Capability.ANALYTICS_RUN)
    as_of = as_of or timezone.localdate()
    run = AnalysisRun.objects.create(as_of=as_of, started_by=actor, status=RunStatus.RUNNING)
    with beating(run.beat_name):
        return _analysis_run(run, as_of, progress)


def _analysis_run(
    run: AnalysisRun, as_of: date, progress: Callable[[int, str], None] | None
) -> AnalysisRun:
    reporter = _Progress(run, progress)
    scores = None
    aside = None
    try:
        options = AnalysisOptions.from_settings()
        run.options = options.as_json()
        reporter(2, RunStep.READING)
        with transaction.atomic():
            book = _book_read(as_of, options)
        reporter(20, RunStep.FITTING)
        if sum(model in options.models for model in PURCHASE_MODELS) > 1:
            aside = _comparison_executor(book.summary.customer_ids.size)
        scores = _customers_score(book, options, aside, reporter)
        run.fitted_models = _fit_records(scores.fits)
        reporter(75, RunStep.SAVING)
        with _large_sqlite_cache(), transaction.atomic():
            transitions = _scores_save(run, book, scores)
            scores_thin(as_of=as_of)
            _statistics_refresh(CustomerScore, LadderTransition)
            dashboard = selectors.dashboard_kept(as_of=as_of)
            scores.fits.settle()
            run.fitted_models = _fit_records(scores.fits, run.fitted_models)
            reporter(100, RunStep.FINISHED)
            run.status = RunStatus.DONE
            run.finished_at = timezone.now()
            run.customers_scored = book.size
            run.figures = _figures(book, scores, transitions, reporter.seconds)
            run.figures["dashboard"] = dashboard
            run.figures["previous"] = _previous_run(run)
            run.figures["warnings"] = _warnings(
                run.fitted_models, scores.fits, options, run.figures["previous"]
            )
            run.save()
    except Exception as error:
        logger.exception("analysis run %s as of %s failed", run.pk, as_of)
        if scores is not None:
            scores.fits.settle()
            run.fitted_models = _fit_records(scores.fits, run.fitted_models)
        run.refresh_from_db(fields=["progress", "step"])
        run.status = RunStatus.FAILED
        run.finished_at = timezone.now()
        run.error = f"{type(error).__name__}: {error}"
        run.save(update_fields=["status", "finished_at", "error", "options", "fitted_models"])
    finally:
        if aside is not None:
            aside.shutdown()
    return run


def scores_thin(*, as_of: date) -> list[date]:
    """Delete the scores of old analyses: those of the last
    ``CLIENTELA_ANALYTICS_KEEP_DAILY_DAYS`` days before ``as_of`` all stay, of older ones
    only the last date of each month (a customer's history goes on month by month).
    Ladder transitions and the runs themselves stay. Returns the dates deleted."""
    cutoff = as_of - timedelta(days=settings.CLIENTELA_ANALYTICS_KEEP_DAILY_DAYS)
    dates = sorted(
        set(
            AnalysisRun.objects.filter(status=RunStatus.DONE, as_of__lt=cutoff).values_list(
                "as_of", flat=True
            )
        )
    )
    month_last = {(day.year, day.month): day for day in dates}  # sorted: the last wins
    dropped = [day for day in dates if month_last[(day.year, day.month)] != day]
    if dropped:
        CustomerScore.objects.filter(as_of__in=dropped).delete()
    return dropped


def analysis_runs_vanished_sweep(*, now: datetime | None = None) -> int:
    """Mark failed the runs still marked running whose process vanished (no sign of life
    for ``LOST_AFTER``, see ``core.heartbeat``; a run records its end even when it
    fails). How many there were."""
    now = now or timezone.now()
    vanished = [
        run.pk
        for run in AnalysisRun.objects.filter(
            status=RunStatus.RUNNING, started_at__lt=now - LOST_AFTER
        ).only("pk", "started_at")
        if beat_lost(run.beat_name, since=run.started_at, now=now)
    ]
    return AnalysisRun.objects.filter(pk__in=vanished, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=_("The run stopped without finishing (its process ended); it was given up."),
    )


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Book:
    """What the run reads: live customers (sorted by id) and the buyers among them."""

    as_of: date
    period_start: date
    customer_ids: np.ndarray
    prospect: np.ndarray
    buyer_index: np.ndarray  # positions of the buyers in customer_ids
    summary: selectors.CustomerSummary  # the buyers' summary, in customer order
    referred_buyers: np.ndarray
    share_of_wallet: np.ndarray  # percent, NaN where unknown
    overrides: np.ndarray  # stage codes set by hand, -1 where none

    @property
    def size(self) -> int:
        return int(self.customer_ids.size)


def _positions(customer_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` ids in the sorted ``customer_ids``, and which were found."""
    if customer_ids.size == 0:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=bool)
    positions = np.searchsorted(customer_ids, wanted)
    clipped = np.minimum(positions, customer_ids.size - 1)
    found = (positions < customer_ids.size) & (customer_ids[clipped] == wanted)
    return clipped, found


def _book_read(as_of: date, options: AnalysisOptions) -> _Book:
    period_start = _months_before(as_of, options.pareto_months) + timedelta(days=1)
    window_start = as_of - timedelta(days=options.ladder.window_days - 1)
    customer_ids, prospect = selectors.live_customer_rows(prospect_sources=options.prospect_sources)
    quoted = selectors.quoted_customer_ids(as_of=as_of)
    prospect = prospect | np.isin(customer_ids, quoted)

    summary = selectors.customer_summary_sql(
        as_of=as_of, period_start=period_start, window_start=window_start
    )
    positions, live = _positions(customer_ids, summary.customer_ids)
    if not live.all():
        summary = dataclasses.replace(
            summary,
            **{
                field.name: getattr(summary, field.name)[live]
                for field in dataclasses.fields(summary)
                if field.name != "as_of"
            },
        )
        positions = positions[live]

    referred = np.zeros(customer_ids.size, dtype=np.int64)
    referrers, counts = selectors.referred_buyer_counts(as_of=as_of)
    where, found = _positions(customer_ids, referrers)
    referred[where[found]] = counts[found]

    share = np.full(customer_ids.size, np.nan)
    wallet_ids, shares = selectors.wallet_shares(as_of=as_of)
    where, found = _positions(customer_ids, wallet_ids)
    share[where[found]] = shares[found]

    overrides = np.full(customer_ids.size, -1, dtype=np.int8)
    override_ids, override_stages = selectors.ladder_override_rows()
    where, found = _positions(customer_ids, override_ids)
    overrides[where[found]] = override_stages[found]
    return _Book(
        as_of=as_of,
        period_start=period_start,
        customer_ids=customer_ids,
        prospect=prospect,
        buyer_index=positions,
        summary=summary,
        referred_buyers=referred,
        share_of_wallet=share,
        overrides=overrides,
    )


# --- fitting -------------------------------------------------------------------------


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _fit_record(model: str, outcome: scoring.FitOutcome) -> dict:
    """A model's outcome as the run records it: its status and reason, and a fit's
    parameters (``FitResult.reported``), likelihood and time."""
    reason = wording.fit_reason(outcome)
    if outcome.error is not None:
        logger.warning("fitting %s failed: %s", model, outcome.error)
    fit = outcome.fit
    if fit is None:
        return {"status": outcome.status, "reason": reason}
    parameters, errors = fit.reported()
    return {
        "status": outcome.status,
        "reason": reason,
        "boundary": fit.boundary.kind if fit.boundary is not None else "",
        "parameters": {name: _finite(value) for name, value in parameters.items()},
        "standard_errors": {name: _finite(value) for name, value in errors.items()},
        "log_likelihood": _finite(fit.log_likelihood),
        "customers": fit.n_customers,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "seconds": round(outcome.seconds, 3),
    }


def _fit_records(fits: scoring.ModelFits, records: dict | None = None) -> dict:
    """Each model's record, in ``scoring.MODELS``' order (``None`` for a comparison still
    being fitted): those of ``records`` kept, the others made."""
    records = records or {}
    return {
        name: records.get(name) or (None if outcome is None else _fit_record(name, outcome))
        for name, outcome in fits.outcomes.items()
    }


def _comparison_executor(rows: int) -> Executor:
    """Where a comparison model is fitted while the scores are saved: a process of its
    own for a large book (the fit and the saving would share one interpreter lock in a
    thread), a thread for a small one (cheaper than starting Python)."""
    if rows >= PROCESS_FIT_ROWS:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=1)


# --- scoring -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Scores:
    """The models, the buyers' scores (in the order of ``book.summary``: the pipeline's,
    their value at stake, churn warnings and variation of their intervals) and every
    customer's stages (codes)."""

    fits: scoring.ModelFits
    customers: scoring.CustomerScores
    value_at_stake: np.ndarray
    churn: scoring.Churn
    interval_variation: np.ndarray
    inferred_stage: np.ndarray
    stage: np.ndarray


def _customers_score(
    book: _Book, options: AnalysisOptions, aside: Executor | None, reporter: _Progress
) -> _Scores:
    """Score the book: the pipeline on the buyers' summary (the comparison model fitted
    ``aside``), then the ladder of every customer."""
    summary = book.summary
    purchases = summary.as_transaction_summary()

    def announce(step: str) -> None:
        if step == "scores":
            reporter(60, RunStep.SCORING)

    scored = scoring.score(
        purchases,
        options.scoring_options(),
        pareto_revenue=summary.period_revenue,
        aside=aside,
        announce=announce,
    )
    churn = scoring.churn_flags(
        purchases, scored.customers.probability_alive, options.churn_rules()
    )
    size = book.size
    at = book.buyer_index

    def spread(values, fill):
        column = np.full(size, fill, dtype=np.asarray(values).dtype)
        column[at] = values
        return column

    inferred = ladder.ladder_stages(
        purchases=spread(summary.purchases, 0),
        recent_purchases=spread(summary.recent_purchases, 0),
        gap_count=spread(summary.gap_count, 0),
        gap_sum=spread(summary.gap_sum, 0.0),
        gap_square_sum=spread(summary.gap_square_sum, 0.0),
        days_since_last=spread(summary.days_since_last.astype(float), np.nan),
        referred_buyers=book.referred_buyers,
        share_of_wallet=book.share_of_wallet / 100,
        prospect=book.prospect,
        rules=options.ladder,
    )
    return _Scores(
        fits=scored.fits,
        customers=scored.customers,
        value_at_stake=scoring.value_at_stake(purchases, scored.customers),
        churn=churn,
        interval_variation=ladder.interval_variation(
            summary.gap_count, summary.gap_sum, summary.gap_square_sum
        ),
        inferred_stage=inferred,
        stage=np.where(book.overrides >= 0, book.overrides, inferred).astype(np.int8),
    )


# --- saving --------------------------------------------------------------------------


def _statistics_refresh(*models) -> None:
    """On PostgreSQL, new planner statistics for tables a run has just filled: until
    autovacuum passes, the planner would take a date's million scores for a few."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def _large_sqlite_cache():
    """On SQLite, a bigger page cache while a date's scores are replaced: the rows land
    all over the indexes, and re-reading their pages is most of the cost."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache_size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def _money(values: np.ndarray) -> np.ndarray:
    return np.round(np.clip(values, -_MONEY_LIMIT, _MONEY_LIMIT), 2)


def _nullable_float(values: np.ndarray | None, size: int, at: np.ndarray, money=False):
    column = np.zeros(size)
    null = np.ones(size, dtype=bool)
    if values is not None:
        finite = np.isfinite(values)
        column[at] = np.where(finite, _money(values) if money else values, 0.0)
        null[at] = ~finite
    return Nullable(column, null)


def _scores_save(run: AnalysisRun, book: _Book, scores: _Scores) -> int:
    """Replace the scores of the run's date and record the stage changes; returns the
    number of transitions recorded."""
    as_of = book.as_of
    size = book.size
    at = book.buyer_index
    summary = book.summary
    bought = np.zeros(size, dtype=bool)
    bought[at] = True

    def per_customer(values, fill=0):
        column = np.full(size, fill, dtype=np.asarray(values).dtype)
        column[at] = values
        return column

    def nullable_int(values):
        return Nullable(per_customer(np.asarray(values, dtype=np.int64)), ~bought)

    def day_column(days):
        return Nullable(per_customer(days.astype("datetime64[D]"), np.datetime64(0, "D")), ~bought)

    stage_keys = ladder.stage_keys(scores.stage)
    share = book.share_of_wallet
    customers, churn = scores.customers, scores.churn
    assert customers.pareto is not None  # the book has amounts
    columns = {
        "customer_id": book.customer_ids,
        "as_of": as_of.isoformat(),
        "purchases": per_customer(summary.purchases),
        "frequency": per_customer(summary.frequency),
        "recency_days": per_customer(summary.last_day - summary.first_day),
        "age_days": per_customer(day_number(as_of) - summary.first_day),
        "first_purchase_on": day_column(summary.first_day),
        "last_purchase_on": day_column(summary.last_day),
        "days_since_last": nullable_int(summary.days_since_last),
        "total_revenue": per_customer(_money(summary.total_amount), 0.0),
        "period_revenue": per_customer(_money(summary.period_revenue), 0.0),
        "monetary_value": per_customer(_money(summary.monetary_value), 0.0),
        "usual_interval_days": _nullable_float(churn.usual_interval, size, at),
        "interval_variation": _nullable_float(scores.interval_variation, size, at),
        "pareto_class": per_customer(customers.pareto.classes.astype(str), ""),
        "recency_score": nullable_int(customers.rfm.recency_score),
        "frequency_score": nullable_int(customers.rfm.frequency_score),
        "monetary_score": nullable_int(customers.rfm.monetary_score),
        "rfm_segment": per_customer(customers.rfm.segment.astype("U24"), ""),
        "probability_alive": _nullable_float(customers.probability_alive, size, at),
        "expected_purchases": _nullable_float(customers.expected_purchases, size, at),
        "expected_spend": _nullable_float(customers.expected_spend, size, at, money=True),
        "clv": _nullable_float(customers.clv, size, at, money=True),
        "value_at_stake": per_customer(_money(np.nan_to_num(scores.value_at_stake)), 0.0),
        "ladder_stage": stage_keys,
        "inferred_stage": ladder.stage_keys(scores.inferred_stage),
        "share_of_wallet": Nullable(np.nan_to_num(np.round(share, 2)), np.isnan(share)),
        "referred_buyers": book.referred_buyers,
        "at_risk_by_model": per_customer(churn.at_risk_by_model, False),
        "lost_by_model": per_customer(churn.lost_by_model, False),
        "at_risk_by_rule": per_customer(churn.at_risk_by_rule, False),
        "lost_by_rule": per_customer(churn.lost_by_rule, False),
    }
    CustomerScore.objects.filter(as_of=as_of).delete()
    columns_insert(CustomerScore, columns, size)

    done = AnalysisRun.objects.filter(status=RunStatus.DONE).exclude(pk=run.pk)
    if done.filter(as_of__gt=as_of).exists():
        return 0  # an earlier date than the latest run: the transitions stay as they are
    LadderTransition.objects.filter(on=as_of, source=TransitionSource.INFERRED).delete()
    previous = np.full(size, -1, dtype=np.int8)
    previous_date = (
        done.filter(as_of__lt=as_of).order_by("-as_of").values_list("as_of", flat=True).first()
    )
    if previous_date is not None:
        ids, stages = selectors.score_stage_rows(as_of=previous_date)
        where, found = _positions(book.customer_ids, ids)
        previous[where[found]] = stages[found]
    ids, stages = selectors.manual_transition_rows(since=previous_date)
    where, found = _positions(book.customer_ids, ids)
    previous[where[found]] = stages[found]

    changed = np.flatnonzero((previous >= 0) & (previous != scores.stage))
    columns_insert(
        LadderTransition,
        {
            "customer_id": book.customer_ids[changed],
            "from_stage": ladder.stage_keys(previous[changed]),
            "to_stage": stage_keys[changed],
            "on": as_of.isoformat(),
            "source": TransitionSource.INFERRED.value,
            "run_id": run.pk,
            "reason": "",
            "changed_by_id": None,
            "created_at": connection.ops.adapt_datetimefield_value(timezone.now()),
        },
        changed.size,
    )
    return int(changed.size)


def _counts(keys: np.ndarray, names) -> dict[str, int]:
    unique, counts = np.unique(np.asarray(keys, dtype=str), return_counts=True)
    found = dict(zip(unique.tolist(), counts.tolist(), strict=True))
    return {name: int(found.get(name, 0)) for name in names}


def _warnings(
    records: dict, fits: scoring.ModelFits, options: AnalysisOptions, previous: dict | None
) -> list[dict]:
    """What went wrong with the models, as codes (``wording.run_warnings`` words them):
    ``model_failed`` (a model failed, did not converge or is unusable), ``model_switched``
    (the chosen purchase model broke and the other one scores), ``no_purchase_model``,
    and ``scoring_model_changed`` (another purchase model than the previous run's)."""
    warnings = [
        {"code": "model_failed", "model": name, "status": record["status"]}
        for name, record in records.items()
        if record and record.get("status") in BROKEN
    ]
    chosen = records.get(options.purchase_model) or {}
    if fits.purchase_name is None:
        if any((records.get(name) or {}).get("status") in BROKEN for name in PURCHASE_MODELS):
            warnings.append({"code": "no_purchase_model"})
    elif fits.purchase_name != options.purchase_model and chosen.get("status") in BROKEN:
        warnings.append(
            {"code": "model_switched", "from": options.purchase_model, "to": fits.purchase_name}
        )
    if previous and previous["purchase_model"] not in (None, fits.purchase_name):
        warnings.append(
            {
                "code": "scoring_model_changed",
                "from": previous["purchase_model"],
                "to": fits.purchase_name,
                "previous_as_of": previous["as_of"],
            }
        )
    return warnings


def _previous_run(run: AnalysisRun) -> dict | None:
    """The scoring model and mean lifetime value of the last run finished before this
    one (for the warnings and the dashboard's comparison)."""
    previous = (
        AnalysisRun.objects.filter(status=RunStatus.DONE)
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-id")
        .values("as_of", "figures")
        .first()
    )
    if previous is None:
        return None
    figures = previous["figures"] or {}
    return {
        "as_of": previous["as_of"].isoformat(),
        "purchase_model": figures.get("purchase_model"),
        "mean_clv": figures.get("mean_clv"),
    }


def _figures(book: _Book, scores: _Scores, transitions: int, seconds: dict) -> dict:
    """The run's totals, for the dashboard."""
    summary = book.summary
    customers, churn = scores.customers, scores.churn
    curve = customers.pareto
    assert curve is not None  # the book has amounts
    points = np.linspace(0, 1, 101)
    revenue_share = np.interp(points, curve.customer_share, curve.revenue_share)
    flagged_at_risk = (churn.at_risk_by_model | churn.at_risk_by_rule) & ~(
        churn.lost_by_model | churn.lost_by_rule
    )
    return {
        "customers": book.size,
        "buyers": int(summary.customer_ids.size),
        "repeat_buyers": int((summary.frequency > 0).sum()),
        "purchase_model": scores.fits.purchase_name,
        "time_unit": "day",
        "period_start": book.period_start.isoformat(),
        "period_revenue": _finite(summary.period_revenue.sum()),
        "total_revenue": _finite(summary.total_amount.sum()),
        "stages": _counts(ladder.stage_keys(scores.stage), ladder.STAGES),
        "segments": _counts(customers.rfm.segment, [*rfm.SEGMENT_NAMES, rfm.UNSEGMENTED]),
        "classes": {name: int(count) for name, count in curve.class_counts.items()},
        "pareto": {
            "top_customer_share": curve.top_customer_share,
            "top_share": _finite(curve.top_share),
            "class_revenue": {name: _finite(value) for name, value in curve.class_revenue.items()},
            "curve": [[_finite(a), _finite(b)] for a, b in zip(points, revenue_share, strict=True)],
        },
        "at_risk": int(flagged_at_risk.sum()),
        "lost": int((churn.lost_by_model | churn.lost_by_rule).sum()),
        "at_risk_by_model": int(churn.at_risk_by_model.sum()),
        "lost_by_model": int(churn.lost_by_model.sum()),
        "at_risk_by_rule": int(churn.at_risk_by_rule.sum()),
        "lost_by_rule": int(churn.lost_by_rule.sum()),
        "mean_clv": None
        if customers.clv is None or not customers.clv.size
        else _finite(customers.clv.mean()),
        "transitions": transitions,
        "seconds": seconds,
    }


# --- the ladder by hand --------------------------------------------------------------


def _live_check(customer: Customer, errors: dict) -> None:
    if customer.merged_into_id is not None:
        errors.setdefault("customer", []).append(_("This customer was merged into another one."))


@transaction.atomic
def ladder_override(
    *, actor: User | None, customer: Customer, stage: str, reason: str
) -> LadderOverride:
    """Put a customer on a stage of the ladder by hand, for a reason; the runs keep them
    there until the stage is cleared. A change of stage is recorded as a manual
    transition dated today."""
    actor_check(actor, Capability.LADDER_OVERRIDE, customer)
    errors: dict[str, list] = {}
    if stage not in LadderStage.values:
        errors["stage"] = [_("Choose a stage of the ladder.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the customer is put on this stage by hand.")]
    _live_check(customer, errors)
    if errors:
        raise ValidationError(errors)
    previous = selectors.ladder_stage_current(customer=customer)
    override = selectors.ladder_override_get(customer=customer) or LadderOverride(customer=customer)
    override.stage, override.reason = stage, reason
    override.set_by, override.set_at = actor, timezone.now()
    override.full_clean(validate_unique=False)
    override.save()
    if previous != stage:
        _manual_transition(actor, customer, previous, stage, reason)
    return override


@transaction.atomic
def ladder_override_clear(*, actor: User | None, customer: Customer, reason: str = "") -> None:
    """Hand a customer back to the rules: their stage becomes the one the rules gave in
    the latest run (recorded as a manual transition), and the next run decides."""
    actor_check(actor, Capability.LADDER_OVERRIDE, customer)
    override = selectors.ladder_override_get(customer=customer)
    if override is None:
        return
    LadderOverride.objects.filter(customer=customer).delete()
    inferred = selectors.ladder_stage_current(customer=customer)
    if inferred and inferred != override.stage:
        _manual_transition(actor, customer, override.stage, inferred, reason.strip())


def _manual_transition(actor, customer: Customer, from_stage: str, to_stage: str, reason: str):
    transition = LadderTransition(
        customer=customer,
        from_stage=from_stage,
        to_stage=to_stage,
        on=timezone.localdate(),
        source=TransitionSource.MANUAL,
        reason=reason,
        changed_by=actor,
    )
    transition.full_clean()
    transition.save()
    return transition


@transaction.atomic
def customer_wallet_record(
    *,
    actor: User | None,
    customer: Customer,
    share_percent,
    recorded_on: date | None = None,
    note: str = "",
) -> CustomerWallet:
    """Record a salesperson's estimate of the customer's share of wallet (0–100%): how
    much of what they buy of our kind of products they buy from us. The ladder's
    *exclusive* rule reads the latest one."""
    actor_check(actor, Capability.CUSTOMER_EDIT, customer)
    errors: dict[str, list] = {}
    _live_check(customer, errors)
    wallet = CustomerWallet(
        customer=customer,
        share_percent=share_percent,
        recorded_on=recorded_on or timezone.localdate(),
        recorded_by=actor,
        note=(note or "").strip(),
    )
    try:
        wallet.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    wallet.save()
    return wallet

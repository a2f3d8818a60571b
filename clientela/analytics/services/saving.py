"""Saving a run's scores: the date's scores replaced by one ``CustomerScore`` per live
customer, written column by column, the stage changes recorded, and the scores of old
dates thinned (``scores_thin``).

Ladder transitions: a run compares each customer's stage with the one before it (their
stage in the previous run's scores, or the latest change by hand made since that run's
date) and records every change, dated ``as_of``. A rerun for the same date replaces that
date's scores and the transitions it inferred. A run for a date earlier than the latest
finished run stores its scores but leaves the transitions alone (they follow the runs
forward in time).
"""

from contextlib import contextmanager
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clientela.analytics import selectors
from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    LadderTransition,
    RunStatus,
    TransitionSource,
)
from clientela.analytics.services.reading import _Book, _positions
from clientela.analytics.services.scoring import _Scores
from clientela.analytics.stats import ladder
from clientela.core.bulk import Nullable, columns_insert
from clientela.core.sql import day_number

# SQLite's page cache while scores are written (KiB).
SQLITE_CACHE_KIB = 256 * 1024
# Money figures are stored with two decimals in 16 digits.
_MONEY_LIMIT = 1e13


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

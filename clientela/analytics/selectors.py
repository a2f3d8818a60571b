"""Reads for analytics: the purchase summary computed in SQL, and the stored scores.

The summary follows the BTYD definitions of ``stats/summary.py`` (Fader, Hardie & Lee)
in days: a *purchase* is a day with bought orders (confirmed up to delivered, not drafts
nor cancelled; several on one day are one purchase, their totals summed), ``frequency``
counts the purchase days after the first, ``recency`` runs from the first to the last
purchase day, ``T`` from the first purchase day to ``as_of`` and the mean repeat spend is
(total − first day's amount) / frequency. Orders after ``as_of`` are left out.

The database does the work in one statement: a ``GROUP BY`` per customer and day, the
gap to each customer's previous purchase day (a ``LAG`` window), then a ``GROUP BY`` per
customer. It runs on SQLite and PostgreSQL and comes back as numpy arrays, read in
chunks, with no Python loop over orders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from clientela.analytics.models import (
    FLAGGED,
    AnalysisRun,
    CustomerScore,
    CustomerWallet,
    LadderOverride,
    LadderStage,
    LadderTransition,
    ParetoClass,
    RFMSegment,
    RunStatus,
    TransitionSource,
)
from clientela.analytics.stats import ladder
from clientela.analytics.stats.summary import TransactionSummary, by_customer_and_period
from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.core.sql import DayNumber, MonthNumber, day_number
from clientela.customers.models import LIVE, Customer
from clientela.orders.models import BOUGHT, Order

# Rows fetched from the database at a time when reading a summary into numpy.
FETCH_SIZE = 50_000


def _purchase_days(as_of: date) -> QuerySet:
    """Bought orders up to ``as_of`` summed per customer and day: (cid, day, amount)."""
    return (
        Order.objects.filter(BOUGHT, order_date__lte=as_of)
        .values(cid=F("customer_id"), day=DayNumber("order_date"))
        .annotate(amount=Sum("total"))
        .order_by()
    )


@contextmanager
def _planned_for_all_rows():
    """On PostgreSQL, plan server-side cursors for reading every row: by default they
    are planned for the first tenth, which can pick a plan 20 times slower for all."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1.0")
        try:
            yield
        finally:
            cursor.execute("RESET cursor_tuple_fraction")


def _fetch(sql: str, params: Sequence, columns: int) -> np.ndarray:
    """Rows of a query as one float array, fetched in chunks (no row objects kept)."""
    chunks = []
    with _planned_for_all_rows(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_SIZE):
            chunks.append(np.array(rows, dtype=float).reshape(len(rows), columns))
    if not chunks:
        return np.zeros((0, columns))
    return np.concatenate(chunks)


@dataclass(frozen=True, eq=False)
class TransactionRows:
    """Purchase days (customer, date, amount), one row per customer and day."""

    customer_ids: np.ndarray
    dates: np.ndarray
    amounts: np.ndarray


def transaction_rows(*, as_of: date) -> TransactionRows:
    """Each customer's purchase days up to ``as_of`` with the day's bought total, sorted
    by customer and date (for the numpy engine and for checks)."""
    sql, params = _purchase_days(as_of).query.sql_with_params()
    table = _fetch(f"SELECT cid, day, CAST(amount AS DOUBLE PRECISION) FROM ({sql}) d", params, 3)
    customer_ids = table[:, 0].astype(np.int64)
    days = table[:, 1].astype(np.int64)
    order, customer_ids, days = by_customer_and_period(customer_ids, days)
    return TransactionRows(
        customer_ids=customer_ids,
        dates=days.astype("datetime64[D]"),
        amounts=table[order, 2],
    )


@dataclass(frozen=True, eq=False)
class CustomerSummary:
    """One row per customer with a purchase up to ``as_of``, sorted by customer id.

    ``purchases``: purchase days; ``first_day``/``last_day``: days since 1970-01-01;
    ``frequency``, ``recency``, ``T`` (days) and ``monetary_value`` as in BTYD;
    ``total_amount``: all bought totals; ``period_revenue``: those from
    ``period_start`` on; ``recent_purchases``: purchase days from ``window_start`` on;
    ``gap_count``/``gap_sum``/``gap_square_sum``: the gaps (days) to the previous
    purchase day of each purchase day from ``window_start`` on that has one.
    """

    as_of: date
    customer_ids: np.ndarray
    purchases: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total_amount: np.ndarray
    first_amount: np.ndarray
    period_revenue: np.ndarray
    recent_purchases: np.ndarray
    gap_count: np.ndarray
    gap_sum: np.ndarray
    gap_square_sum: np.ndarray

    @property
    def frequency(self) -> np.ndarray:
        return self.purchases - 1

    @property
    def recency(self) -> np.ndarray:
        return (self.last_day - self.first_day).astype(float)

    @property
    def T(self) -> np.ndarray:
        return (day_number(self.as_of) - self.first_day).astype(float)

    @property
    def days_since_last(self) -> np.ndarray:
        return day_number(self.as_of) - self.last_day

    @property
    def monetary_value(self) -> np.ndarray:
        frequency = self.frequency
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(frequency > 0, (self.total_amount - self.first_amount) / frequency, 0.0)

    def as_transaction_summary(self) -> TransactionSummary:
        """The same figures as ``stats.summary.transaction_summary`` gives (days)."""
        return TransactionSummary(
            customer_ids=self.customer_ids,
            frequency=self.frequency,
            recency=self.recency,
            T=self.T,
            monetary_value=self.monetary_value,
            total_amount=self.total_amount,
            observation_end=np.datetime64(self.as_of, "D"),
            time_unit="day",
            unit_multiplier=1.0,
        )


_SUMMARY_SQL = """
SELECT cid,
       COUNT(*),
       MIN(day),
       MAX(day),
       CAST(SUM(amount) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN gap IS NULL THEN amount ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(CASE WHEN day >= %s THEN amount ELSE 0 END) AS DOUBLE PRECISION),
       SUM(CASE WHEN day >= %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN gap IS NOT NULL AND day >= %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN gap IS NOT NULL AND day >= %s THEN gap ELSE 0 END),
       SUM(CASE WHEN gap IS NOT NULL AND day >= %s THEN gap * gap ELSE 0 END)
FROM (
    SELECT cid, day, amount, day - LAG(day) OVER (PARTITION BY cid ORDER BY day) AS gap
    FROM ({purchase_days}) purchase_days
) purchase_gaps
GROUP BY cid
"""


def customer_summary_sql(
    *, as_of: date, period_start: date | None = None, window_start: date | None = None
) -> CustomerSummary:
    """The per-customer purchase summary as of a date, computed by the database.

    ``period_start`` (for ``period_revenue``) and ``window_start`` (for the ladder's
    recent purchases and gaps) default to the first day there is, i.e. everything.
    """
    purchase_days_sql, params = _purchase_days(as_of).query.sql_with_params()
    period = day_number(period_start) if period_start else np.iinfo(np.int32).min
    window = day_number(window_start) if window_start else np.iinfo(np.int32).min
    table = _fetch(
        _SUMMARY_SQL.format(purchase_days=purchase_days_sql),
        [period, window, window, window, window, *params],
        11,
    )
    table = table[np.argsort(table[:, 0], kind="stable")]
    whole = table[:, [0, 1, 2, 3, 7, 8]].astype(np.int64)
    summary = CustomerSummary(
        as_of=as_of,
        customer_ids=whole[:, 0],
        purchases=whole[:, 1],
        first_day=whole[:, 2],
        last_day=whole[:, 3],
        total_amount=table[:, 4],
        first_amount=table[:, 5],
        period_revenue=table[:, 6],
        recent_purchases=whole[:, 4],
        gap_count=whole[:, 5],
        gap_sum=table[:, 9],
        gap_square_sum=table[:, 10],
    )
    return summary


def _fetch_queryset(queryset: QuerySet, columns: int) -> np.ndarray:
    sql, params = queryset.query.sql_with_params()
    return _fetch(sql, list(params), columns)


def stage_code(field: str) -> Case:
    """The index in ``stats.ladder.STAGES`` of a stage column, -1 when empty."""
    return Case(
        *(When(**{field: key}, then=code) for code, key in enumerate(ladder.STAGES)),
        default=-1,
        output_field=IntegerField(),
    )


def _stage_rows(queryset: QuerySet, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, stage codes) of the rows of ``queryset``."""
    table = _fetch_queryset(
        queryset.annotate(code=stage_code(field)).values_list("customer_id", "code"), 2
    )
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int8)


def live_customer_rows(*, prospect_sources) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the live customers (not merged into another), ascending, and whether each
    came from one of ``prospect_sources`` or was referred by someone."""
    interest = Q(referred_by__isnull=False)
    if prospect_sources:
        interest |= Q(source__in=list(prospect_sources))
    queryset = (
        Customer.objects.filter(LIVE)
        .annotate(interest=Case(When(interest, then=1), default=0, output_field=IntegerField()))
        .values_list("id", "interest")
        .order_by("id")
    )
    table = _fetch_queryset(queryset, 2)
    return table[:, 0].astype(np.int64), table[:, 1] > 0


def quoted_customer_ids(*, as_of: date) -> np.ndarray:
    """Customers with an order up to ``as_of`` that was never bought (a draft or a
    cancelled order: a quote, a sign of interest)."""
    queryset = (
        Order.objects.exclude(BOUGHT)
        .filter(order_date__lte=as_of)
        .values_list("customer_id")
        .distinct()
        .order_by()
    )
    return _fetch_queryset(queryset, 1)[:, 0].astype(np.int64)


def referred_buyer_counts(*, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Per referrer, how many of the customers they referred had bought by ``as_of``."""
    bought = Order.objects.filter(BOUGHT, customer=OuterRef("pk"), order_date__lte=as_of)
    queryset = (
        Customer.objects.filter(referred_by__isnull=False)
        .filter(Exists(bought))
        .values("referred_by")
        .annotate(buyers=Count("pk"))
        .values_list("referred_by", "buyers")
        .order_by()
    )
    table = _fetch_queryset(queryset, 2)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)


def wallet_shares(*, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's latest share of wallet (percent) recorded up to ``as_of``."""
    queryset = (
        CustomerWallet.objects.filter(recorded_on__lte=as_of)
        .order_by("customer_id", "recorded_on", "id")
        .values_list("customer_id", "share_percent")
    )
    table = _fetch_queryset(queryset, 2)
    ids = table[:, 0].astype(np.int64)
    last = np.ones(ids.size, dtype=bool)
    last[:-1] = ids[1:] != ids[:-1]
    return ids[last], table[last, 1]


def ladder_override_rows() -> tuple[np.ndarray, np.ndarray]:
    """The stages set by hand (the latest per customer): (customer ids, stage codes)."""
    ids, codes = _stage_rows(
        LadderOverride.objects.order_by("customer_id", "set_at", "id"), "stage"
    )
    last = np.ones(ids.size, dtype=bool)
    last[:-1] = ids[1:] != ids[:-1]
    return ids[last], codes[last]


def score_stage_rows(*, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Every customer's ladder stage in the scores of a date: (customer ids, codes)."""
    return _stage_rows(CustomerScore.objects.filter(as_of=as_of).order_by(), "ladder_stage")


def manual_transition_rows(*, since: date | None) -> tuple[np.ndarray, np.ndarray]:
    """The stage each customer was last put on by hand from ``since`` on (inclusive;
    from the start without it): (customer ids, stage codes)."""
    queryset = LadderTransition.objects.filter(source=TransitionSource.MANUAL)
    if since is not None:
        queryset = queryset.filter(on__gte=since)
    latest: dict[int, str] = {}
    for customer_id, stage in queryset.order_by("on", "id").values_list("customer_id", "to_stage"):
        latest[customer_id] = stage
    return np.array(list(latest), dtype=np.int64), ladder.stage_codes(list(latest.values()))


# --- runs ----------------------------------------------------------------------------


def analysis_run_list() -> QuerySet[AnalysisRun]:
    """Every run, the latest started first."""
    return AnalysisRun.objects.select_related("started_by").order_by("-started_at", "-id")


def analysis_run_get(*, pk: int) -> AnalysisRun:
    """One run (for its progress); raises AnalysisRun.DoesNotExist."""
    return AnalysisRun.objects.select_related("started_by").get(pk=pk)


def analysis_run_latest() -> AnalysisRun | None:
    """The finished run of the latest date (the one the lists and dashboard show)."""
    return (
        AnalysisRun.objects.filter(status=RunStatus.DONE)
        .select_related("started_by")
        .order_by("-as_of", "-finished_at", "-id")
        .first()
    )


def analysis_run_of(*, as_of: date) -> AnalysisRun | None:
    """The finished run whose scores of ``as_of`` are stored (the latest of that date)."""
    return (
        AnalysisRun.objects.filter(status=RunStatus.DONE, as_of=as_of)
        .order_by("-finished_at", "-id")
        .first()
    )


def analysis_run_running(*, since: datetime) -> AnalysisRun | None:
    """The latest run still going that started at ``since`` or later (an older one still
    marked running was left behind by a process that died)."""
    return (
        AnalysisRun.objects.filter(status=RunStatus.RUNNING, started_at__gte=since)
        .select_related("started_by")
        .order_by("-started_at", "-id")
        .first()
    )


def score_latest_date() -> date | None:
    """The latest date with stored scores (one index lookup)."""
    return (
        AnalysisRun.objects.filter(status=RunStatus.DONE)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


# --- scores --------------------------------------------------------------------------

# Churn lists (``wording`` names and explains them): by the customer's rhythm (overdue,
# lapsed), by the model (leaving, likely gone), both at once (drifting away: at_risk;
# lost; flagged), and their opposite (active). The dashboard counts each with the same
# condition its list filters on. All but "active" imply FLAGGED, so the partial index of
# flagged scores serves them.
CHURN = {
    "flagged": FLAGGED,
    "at_risk": FLAGGED & Q(lost_by_model=False, lost_by_rule=False),
    "lost": FLAGGED & (Q(lost_by_model=True) | Q(lost_by_rule=True)),
    "overdue": FLAGGED & Q(at_risk_by_rule=True),
    "lapsed": FLAGGED & Q(lost_by_rule=True),
    "leaving": FLAGGED & Q(at_risk_by_model=True),
    "likely_gone": FLAGGED & Q(lost_by_model=True),
    "active": Q(purchases__gt=0) & ~FLAGGED,
}
SCORE_ORDERS = ("clv", "value_at_stake")


def score_order(*, churn: str = "", order: str = "") -> str:
    """How a score list is sorted: ``order`` if given, else by value at stake for a churn
    list (but "active"), else by lifetime value."""
    return order or ("value_at_stake" if churn and churn != "active" else "clv")


def score_list(
    *,
    user: User | None,
    as_of: date | None = None,
    owner: User | None = None,
    segment: str = "",
    pareto_class: str = "",
    stage: str = "",
    churn: str = "",
    order: str = "",
) -> QuerySet[CustomerScore]:
    """The scores of one date (default: the latest) that ``user`` may see (every one
    for ``None``, the system), with their customers, filtered by the customers'
    ``owner``, RFM segment, Pareto class, ladder stage and churn.

    ``churn``: a key of ``CHURN``. ``order``: ``"clv"`` (highest first, the default)
    or ``"value_at_stake"`` (the default for churn lists but "active"). An empty
    queryset when nothing has been computed yet.
    """
    if as_of is None:
        as_of = score_latest_date()
        if as_of is None:
            return CustomerScore.objects.none()
    queryset = CustomerScore.objects.filter(as_of=as_of)
    if user is not None and limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    if owner is not None:
        queryset = queryset.filter(customer__owner=owner)
    if segment:
        queryset = queryset.filter(rfm_segment=segment)
    if pareto_class:
        queryset = queryset.filter(pareto_class=pareto_class)
    if stage:
        queryset = queryset.filter(ladder_stage=stage)
    if churn:
        if churn not in CHURN:
            raise ValueError(f"churn must be one of {', '.join(CHURN)}")
        queryset = queryset.filter(CHURN[churn])
    order = score_order(churn=churn, order=order)
    if order not in SCORE_ORDERS:
        raise ValueError(f"order must be one of {', '.join(SCORE_ORDERS)}")
    ordering = (
        (F("clv").desc(nulls_last=True), "id")
        if order == "clv"
        else (F("value_at_stake").desc(), "id")
    )
    return queryset.select_related("customer").order_by(*ordering)


def customer_score_latest(*, customer: Customer | int) -> CustomerScore | None:
    """A customer's most recent score."""
    return CustomerScore.objects.filter(customer=customer).order_by("-as_of").first()


def customer_score_history(*, customer: Customer | int) -> QuerySet[CustomerScore]:
    """A customer's scores, oldest first (their history of segments, classes, stages)."""
    return CustomerScore.objects.filter(customer=customer).order_by("as_of")


# --- ladder --------------------------------------------------------------------------


def ladder_transition_list(*, customer: Customer | int) -> QuerySet[LadderTransition]:
    """A customer's changes of stage, oldest first, with who made the manual ones."""
    return (
        LadderTransition.objects.filter(customer=customer)
        .select_related("changed_by")
        .order_by("on", "id")
    )


def ladder_stage_current(*, customer: Customer | int) -> str:
    """The stage a customer is on now: the one set by hand if any, else the rules' stage
    of their latest score; ``""`` before any score."""
    if override := ladder_override_get(customer=customer):
        return override.stage
    latest = (
        CustomerScore.objects.filter(customer=customer)
        .order_by("-as_of")
        .values_list("inferred_stage", flat=True)
        .first()
    )
    return latest or ""


def ladder_override_get(*, customer: Customer | int) -> LadderOverride | None:
    """The stage set by hand that counts for a customer (the latest), if any."""
    return (
        LadderOverride.objects.filter(customer=customer)
        .select_related("set_by")
        .order_by("-set_at", "-id")
        .first()
    )


def customer_wallet_latest(*, customer: Customer | int) -> CustomerWallet | None:
    """The latest share of wallet recorded for a customer."""
    return (
        CustomerWallet.objects.filter(customer=customer)
        .select_related("recorded_by")
        .order_by("-recorded_on", "-id")
        .first()
    )


# --- the dashboard -------------------------------------------------------------------

# Bins of the probability-alive histogram: [0, 0.1), [0.1, 0.2) … [0.9, 1].
ALIVE_BINS = 10
SCORE_RANGE = range(1, 6)
# The churn lists the dashboard counts.
OVERVIEW_CHURN = ("active", "at_risk", "lost", "overdue", "lapsed", "leaving", "likely_gone")


@dataclass(frozen=True)
class ScoreOverview:
    """Totals of one date's scores that ``user`` may see (one aggregate query).

    ``grid[r - 1][f - 1]``: customers with recency score r and frequency score f;
    ``alive_bins[i]``: customers whose probability alive is in the i-th tenth.
    """

    customers: int
    buyers: int
    active: int
    new: int
    at_risk: int
    lost: int
    overdue: int
    lapsed: int
    leaving: int
    likely_gone: int
    period_revenue: float
    mean_clv: float | None
    segments: dict[str, int]
    stages: dict[str, int]
    classes: dict[str, int]
    grid: list[list[int]]
    alive_bins: list[int]


def _started_since(day: date) -> Q:
    """Scores of customers who did not start with the business before ``day`` (by their
    "customer since" date; without one, their first purchase says when they started)."""
    return Q(customer__customer_since__isnull=True) | Q(customer__customer_since__gte=day)


def score_overview(*, user: User | None, as_of: date, new_since: date) -> ScoreOverview:
    """The dashboard's counts over the scores of ``as_of`` that ``user`` may see (every
    one for ``None``), in one scan: buyers, new ones (first purchase from ``new_since``
    on, and no "customer since" date before it), each churn list of ``OVERVIEW_CHURN``
    (counted with the condition its list filters on), revenue of the Pareto period, mean
    CLV, customers per segment, stage and Pareto class, the R×F grid and the histogram of
    probability alive."""
    queryset = score_list(user=user, as_of=as_of).order_by()
    aggregates: dict = {
        "customers": Count("id"),
        "buyers": Count("id", filter=Q(purchases__gt=0)),
        "new": Count("id", filter=Q(first_purchase_on__gte=new_since) & _started_since(new_since)),
        **{key: Count("id", filter=CHURN[key]) for key in OVERVIEW_CHURN},
        "period_revenue": Sum("period_revenue"),
        "mean_clv": Avg("clv"),
    }
    for key in RFMSegment.values:
        aggregates[f"segment_{key}"] = Count("id", filter=Q(rfm_segment=key))
    for key in LadderStage.values:
        aggregates[f"stage_{key}"] = Count("id", filter=Q(ladder_stage=key))
    for key in ParetoClass.values:
        aggregates[f"class_{key}"] = Count("id", filter=Q(pareto_class=key))
    for recency in SCORE_RANGE:
        for frequency in SCORE_RANGE:
            aggregates[f"grid_{recency}_{frequency}"] = Count(
                "id", filter=Q(recency_score=recency, frequency_score=frequency)
            )
    for index in range(ALIVE_BINS):
        bounds = Q(probability_alive__gte=index / ALIVE_BINS)
        if index < ALIVE_BINS - 1:
            bounds &= Q(probability_alive__lt=(index + 1) / ALIVE_BINS)
        aggregates[f"alive_{index}"] = Count("id", filter=bounds)
    totals = queryset.aggregate(**aggregates)
    return ScoreOverview(
        customers=totals["customers"],
        buyers=totals["buyers"],
        new=totals["new"],
        **{key: totals[key] for key in OVERVIEW_CHURN},
        period_revenue=float(totals["period_revenue"] or 0),
        mean_clv=None if totals["mean_clv"] is None else float(totals["mean_clv"]),
        segments={key: totals[f"segment_{key}"] for key in RFMSegment.values},
        stages={key: totals[f"stage_{key}"] for key in LadderStage.values},
        classes={key: totals[f"class_{key}"] for key in ParetoClass.values},
        grid=[[totals[f"grid_{r}_{f}"] for f in SCORE_RANGE] for r in SCORE_RANGE],
        alive_bins=[totals[f"alive_{index}"] for index in range(ALIVE_BINS)],
    )


@dataclass(frozen=True)
class LadderFlow:
    """How many customers moved from one stage to another in a month."""

    month: date
    from_stage: str
    to_stage: str
    customers: int


def ladder_flow_list(*, user: User, since: date) -> list[LadderFlow]:
    """The changes of stage from ``since`` on, counted per month and from → to, of the
    customers ``user`` may see; by month, then the most frequent first."""
    queryset = LadderTransition.objects.filter(on__gte=since)
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    rows = (
        queryset.annotate(month=TruncMonth("on"))
        .values("month", "from_stage", "to_stage")
        .annotate(customers=Count("id"))
        .order_by("month", "-customers", "from_stage", "to_stage")
    )
    return [
        LadderFlow(
            month=row["month"],
            from_stage=row["from_stage"],
            to_stage=row["to_stage"],
            customers=row["customers"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CohortRetention:
    """The customers whose first purchase fell in ``month`` and, ``buyers[k]``, how many
    of them bought in the k-th month after it (``buyers[0]`` is all of them); months
    not yet reached are left out."""

    month: date
    buyers: list[int]

    @property
    def customers(self) -> int:
        return self.buyers[0] if self.buyers else 0

    @property
    def shares(self) -> list[float]:
        """``buyers[k] / customers`` for each month reached."""
        total = self.customers
        return [count / total if total else 0.0 for count in self.buyers]


_COHORT_SQL = """
SELECT first_month, month - first_month, COUNT(*)
FROM (
    SELECT cid, month, MIN(month) OVER (PARTITION BY cid) AS first_month
    FROM ({buying_months}) buying_months
) months
WHERE first_month >= %s
GROUP BY first_month, month - first_month
"""


def cohort_retention(
    *, user: User | None, months: int = 12, as_of: date | None = None
) -> list[CohortRetention]:
    """Cohort retention by first-purchase month: for the customers ``user`` may see
    (every one for ``None``) whose first bought order fell in one of the last ``months`` months up to ``as_of``
    (default today), how many bought again in each following month. The database does
    the work: one ``GROUP BY`` per customer and month, each customer's first month by a
    window, then a ``GROUP BY`` per cohort and months since. Oldest cohort first."""
    as_of = as_of or timezone.localdate()
    current = as_of.year * 12 + as_of.month - 1
    first = current - months + 1
    orders = Order.objects.filter(BOUGHT, order_date__lte=as_of)
    if user is not None and limited_to_own_customers(user):
        orders = orders.filter(customer__owner=user)
    buying_months = (
        orders.values(cid=F("customer_id"), month=MonthNumber("order_date")).distinct().order_by()
    )
    sql, params = buying_months.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_COHORT_SQL.format(buying_months=sql), [*params, first])
        rows = cursor.fetchall()
    counts: dict[int, dict[int, int]] = {}
    for first_month, since, count in rows:
        counts.setdefault(int(first_month), {})[int(since)] = int(count)
    cohorts = []
    for month_number in range(first, current + 1):
        reached = current - month_number + 1
        found = counts.get(month_number, {})
        if not found:
            continue
        year, month = divmod(month_number, 12)
        cohorts.append(
            CohortRetention(
                month=date(year, month + 1, 1),
                buyers=[found.get(since, 0) for since in range(reached)],
            )
        )
    return cohorts


# --- the dashboard of a run -----------------------------------------------------------

# Customers whose first purchase is this recent count as new on the dashboard.
NEW_DAYS = 30
# Months of ladder flows and of cohorts the dashboard shows.
DASHBOARD_MONTHS = 12


def _dashboard_counted(
    *, user: User | None, as_of: date
) -> tuple[ScoreOverview, list[CohortRetention]]:
    """The dashboard's totals and cohorts counted over the customers ``user`` may see."""
    overview = score_overview(
        user=user, as_of=as_of, new_since=as_of - timedelta(days=NEW_DAYS - 1)
    )
    return overview, cohort_retention(user=user, months=DASHBOARD_MONTHS, as_of=as_of)


def dashboard_kept(*, as_of: date) -> dict:
    """The dashboard's totals and cohorts over every customer as of ``as_of``, as JSON
    for an analysis run to keep (they read every score and every order)."""
    overview, cohorts = _dashboard_counted(user=None, as_of=as_of)
    return {
        "overview": dataclasses.asdict(overview),
        "cohorts": [
            {"month": cohort.month.isoformat(), "buyers": cohort.buyers} for cohort in cohorts
        ],
    }


def dashboard_figures(
    *, user: User, run: AnalysisRun
) -> tuple[ScoreOverview, list[CohortRetention]]:
    """The dashboard's totals and cohorts of ``run`` for ``user``: those the run kept
    when the user sees every customer (and the run kept every total there is now), else
    counted over the customers they may see."""
    kept = (run.figures or {}).get("dashboard")
    fields = {field.name for field in dataclasses.fields(ScoreOverview)}
    if kept and set(kept["overview"]) == fields and not limited_to_own_customers(user):
        cohorts = [
            CohortRetention(month=date.fromisoformat(row["month"]), buyers=row["buyers"])
            for row in kept["cohorts"]
        ]
        overview = dict(kept["overview"])
        # JSON objects come back from PostgreSQL's jsonb in another key order.
        for name, keys in (
            ("segments", RFMSegment.values),
            ("stages", LadderStage.values),
            ("classes", ParetoClass.values),
        ):
            overview[name] = {key: overview[name][key] for key in keys}
        return ScoreOverview(**overview), cohorts
    return _dashboard_counted(user=user, as_of=run.as_of)


# What a run keeps that is no customer's figure (its settings, its warnings' codes).
_RUN_SETTINGS = ("purchase_model", "time_unit", "period_start", "warnings")
# Of the Pareto curve, the shares the dashboard draws (not each class's revenue).
_PARETO_SHARES = ("top_customer_share", "top_share", "curve")


def analysis_run_seen(*, user: User, run: AnalysisRun) -> tuple[int, dict]:
    """How many customers ``run`` scored and its totals, as ``user`` sees them on the
    dashboard: the run's own for a user who sees every customer; for a salesperson limited
    to their own customers, the counts, revenue of the Pareto period and mean lifetime
    value of their customers' scores of the run's date (nothing before the run is done),
    the run's settings and warnings, and the Pareto curve's shares — never the
    business's revenue, each class's revenue, nor the previous run's mean lifetime value."""
    figures = run.figures or {}
    if not limited_to_own_customers(user):
        return run.customers_scored, figures
    if run.status != RunStatus.DONE or not figures:
        return 0, {}
    overview = score_overview(
        user=user, as_of=run.as_of, new_since=run.as_of - timedelta(days=NEW_DAYS - 1)
    )
    counted = dataclasses.asdict(overview)
    del counted["grid"], counted["alive_bins"]
    pareto = figures.get("pareto") or {}
    return overview.customers, {
        **{key: figures[key] for key in _RUN_SETTINGS if key in figures},
        **counted,
        "pareto": {key: pareto[key] for key in _PARETO_SHARES if key in pareto},
        "own_customers_only": True,
    }


def churn_totals(*, user: User, churn: str, owner: User | None = None) -> tuple[int, Decimal]:
    """How many customers (of ``owner``, if given) the latest scores put on the churn
    list ``churn`` (as ``score_list`` filters it, for ``user``) and their value at
    stake, in one query."""
    totals = (
        score_list(user=user, churn=churn, owner=owner)
        .order_by()
        .aggregate(customers=Count("id"), at_stake=Sum("value_at_stake"))
    )
    return totals["customers"], totals["at_stake"] or Decimal(0)

"""REST endpoints of the analytics: the stored scores (lists by segment, class, stage or
churn, and each customer's history), the customer ladder with stages set by hand, and
the analysis runs with their fitted models, including the owner's recompute.

Mounted at ``/api/v1/analytics`` by the composition root.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from clientela.analytics import selectors, services, tasks, wording
from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    LadderStage,
    ParetoClass,
    RFMSegment,
)
from clientela.core.access import Capability, limited_to_own_customers, require
from clientela.core.api import Day, Whole, WriteSchema
from clientela.core.models import User
from clientela.core.pagination import CappedPageNumberPagination
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_visible

router = Router(tags=["analytics"])

MAX_PAGE_SIZE = 100


# --- schemas ------------------------------------------------------------------------


class ScoreOut(Schema):
    """A customer's scores as of a date (times in days)."""

    customer_id: int
    customer: str = Field(alias="customer.name")
    as_of: date
    purchases: int
    frequency: int
    recency_days: int
    age_days: int
    first_purchase_on: date | None
    last_purchase_on: date | None
    days_since_last: int | None
    total_revenue: Decimal
    period_revenue: Decimal
    monetary_value: Decimal
    usual_interval_days: float | None
    interval_variation: float | None
    pareto_class: str
    recency_score: int | None
    frequency_score: int | None
    monetary_score: int | None
    rfm_segment: str
    probability_alive: float | None
    expected_purchases: float | None
    expected_spend: Decimal | None
    clv: Decimal | None
    value_at_stake: Decimal
    ladder_stage: str
    inferred_stage: str
    share_of_wallet: Decimal | None
    referred_buyers: int
    at_risk_by_model: bool
    lost_by_model: bool
    at_risk_by_rule: bool
    lost_by_rule: bool
    at_risk: bool
    lost: bool


class ScoreHistoryOut(Schema):
    """One date of a customer's history: their segment, class, stage and value."""

    as_of: date
    rfm_segment: str
    pareto_class: str
    ladder_stage: str
    inferred_stage: str
    probability_alive: float | None
    clv: Decimal | None
    value_at_stake: Decimal
    at_risk: bool
    lost: bool


class CustomerScoresOut(Schema):
    customer_id: int
    latest: ScoreOut | None
    history: list[ScoreHistoryOut]


class ScoreFilters(Schema):
    as_of: Day | None = Field(None, description="The scores of this date; default the latest.")
    segment: RFMSegment | None = None
    pareto_class: ParetoClass | None = None
    stage: LadderStage | None = None
    churn: (
        Literal[
            "active",
            "at_risk",
            "overdue",
            "lapsed",
            "leaving",
            "likely_gone",
            "lost",
            "flagged",
        ]
        | None
    ) = Field(
        None,
        description=(
            "By the customer's rhythm (no purchase for k times their usual interval):"
            " overdue, lapsed; by the model's probability alive: leaving, likely_gone;"
            " at_risk (drifting away: overdue or leaving, neither lapsed nor likely gone),"
            " lost (lapsed or likely gone), flagged (any), active (bought, none of them)."
        ),
    )
    order: Literal["clv", "value_at_stake"] | None = Field(
        None,
        description="Highest first; default clv, value_at_stake for churn lists but active.",
    )


class OverrideOut(Schema):
    stage: str
    reason: str
    set_by: str | None
    set_at: datetime

    @staticmethod
    def resolve_set_by(obj) -> str | None:
        return obj.set_by.get_username() if obj.set_by else None


class TransitionOut(Schema):
    on: date
    from_stage: str
    to_stage: str
    source: str
    reason: str
    changed_by: str | None
    run_id: int | None

    @staticmethod
    def resolve_changed_by(obj) -> str | None:
        return obj.changed_by.get_username() if obj.changed_by else None


class LadderOut(Schema):
    customer_id: int
    stage: str = Field(description="The stage now: set by hand if so, else by the rules.")
    inferred_stage: str = Field(description="The rules' stage in the latest scores.")
    share_of_wallet: Decimal | None = Field(description="The latest recorded, percent.")
    override: OverrideOut | None
    transitions: list[TransitionOut]


class LadderIn(WriteSchema):
    stage: str = Field(description="One of the ladder's stages.")
    reason: str


class AnalysisRunOut(Schema):
    """An analysis run: its progress while it goes, its models and totals once done.

    ``fitted_models``: per model (bgnbd, paretonbd, gammagamma) its status (fitted,
    boundary, skipped, not_converged, failed, unusable), and when fitted its parameters
    (in days), standard errors and log-likelihood; a ``boundary`` fit lies at the edge
    of the model and is used as its limit (``boundary``: same_dropout or no_dropout,
    with the limit's parameters). ``warnings``: a model that could not be used or a
    change of scoring model, in words, each saying what it changes (their codes are in
    ``figures.warnings``).
    """

    id: int
    as_of: date
    status: str
    progress: int
    step: str
    step_label: str
    started_by: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str
    customers_scored: int
    fitted_models: dict[str, Any]
    options: dict[str, Any]
    figures: dict[str, Any]
    warnings: list[str]

    @staticmethod
    def resolve_warnings(obj, context) -> list[str]:
        return wording.run_warnings(obj, business=not limited_to_own_customers(_auth(context)))

    @staticmethod
    def resolve_customers_scored(obj, context) -> int:
        return _run_seen(obj, context)[0]

    @staticmethod
    def resolve_figures(obj, context) -> dict[str, Any]:
        return _run_seen(obj, context)[1]

    @staticmethod
    def resolve_step_label(obj) -> str:
        return str(obj.get_step_display())

    @staticmethod
    def resolve_started_by(obj) -> str | None:
        return obj.started_by.get_username() if obj.started_by else None


class RunLatestQuery(Schema):
    finished: bool = Field(
        False, description="The finished run whose scores the lists show, not the last started."
    )


class RunQueuedOut(Schema):
    detail: str
    task_id: str
    latest: AnalysisRunOut | None = Field(description="The latest run started so far, if any.")


# --- helpers ------------------------------------------------------------------------


def _auth(context: dict) -> User:
    return context["request"].auth


def _run_seen(run: AnalysisRun, context: dict) -> tuple[int, dict]:
    """``selectors.analysis_run_seen`` for the requesting user, worked out once per run."""
    if not hasattr(run, "_seen"):
        run._seen = selectors.analysis_run_seen(user=_auth(context), run=run)
    return run._seen


def _customer(user: User, customer_id: int) -> Customer:
    """A customer the user may see (merged ones too, for their history); 404 otherwise."""
    return customer_visible(user=user).get(pk=customer_id)


def _ladder(customer: Customer) -> dict[str, Any]:
    latest = selectors.customer_score_latest(customer=customer)
    wallet = selectors.customer_wallet_latest(customer=customer)
    return {
        "customer_id": customer.pk,
        "stage": selectors.ladder_stage_current(customer=customer),
        "inferred_stage": latest.inferred_stage if latest else "",
        "share_of_wallet": wallet.share_percent if wallet else None,
        "override": selectors.ladder_override_get(customer=customer),
        "transitions": list(selectors.ladder_transition_list(customer=customer)),
    }


# --- scores ---------------------------------------------------------------------------


@router.get("/scores", response=list[ScoreOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def score_list(request: HttpRequest, filters: Query[ScoreFilters]) -> QuerySet[CustomerScore]:
    """The customers' scores of the latest analysis (or of ``as_of``), the most valuable
    first, filtered by RFM segment, Pareto class, ladder stage or churn; paged. Empty
    before the first analysis."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    data = filters.dict()
    return selectors.score_list(
        user=request.auth,
        as_of=data["as_of"],
        segment=data["segment"] or "",
        pareto_class=data["pareto_class"] or "",
        stage=data["stage"] or "",
        churn=data["churn"] or "",
        order=data["order"] or "",
    )


@router.get("/customers/{int:customer_id}/scores", response=CustomerScoresOut)
def customer_scores(request: HttpRequest, customer_id: Whole) -> dict[str, Any]:
    """A customer's latest scores and their history, oldest first."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    customer = _customer(request.auth, customer_id)
    latest = selectors.customer_score_latest(customer=customer)
    if latest is not None:
        latest.customer = customer
    return {
        "customer_id": customer.pk,
        "latest": latest,
        "history": list(selectors.customer_score_history(customer=customer)),
    }


# --- the ladder -------------------------------------------------------------------------


@router.get("/customers/{int:customer_id}/ladder", response=LadderOut)
def ladder_get(request: HttpRequest, customer_id: Whole) -> dict[str, Any]:
    """A customer's stage on the ladder, the stage set by hand if any, and every change."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    return _ladder(_customer(request.auth, customer_id))


@router.put("/customers/{int:customer_id}/ladder", response=LadderOut)
def ladder_set(request: HttpRequest, customer_id: Whole, payload: LadderIn) -> dict[str, Any]:
    """Put the customer on a stage by hand, with the reason; the analysis keeps them
    there until the stage is cleared."""
    require(request.auth, Capability.LADDER_OVERRIDE)
    customer = _customer(request.auth, customer_id)
    services.ladder_override(actor=request.auth, customer=customer, **payload.dict())
    return _ladder(customer)


@router.delete("/customers/{int:customer_id}/ladder", response=LadderOut)
def ladder_clear(request: HttpRequest, customer_id: Whole, reason: str = "") -> dict[str, Any]:
    """Hand the customer back to the rules (``?reason=`` is recorded with the change)."""
    require(request.auth, Capability.LADDER_OVERRIDE)
    customer = _customer(request.auth, customer_id)
    services.ladder_override_clear(actor=request.auth, customer=customer, reason=reason)
    return _ladder(customer)


# --- runs -------------------------------------------------------------------------------


@router.get("/runs", response=list[AnalysisRunOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def run_list(request: HttpRequest) -> QuerySet[AnalysisRun]:
    """Every analysis run, the latest started first; paged."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    return selectors.analysis_run_list()


@router.get("/runs/latest", response=AnalysisRunOut)
def run_latest(request: HttpRequest, query: Query[RunLatestQuery]) -> AnalysisRun:
    """The run started last, whether going, done or failed (its progress); with
    ``finished=true`` the finished run whose scores the lists show. 404 before any."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    if query.finished:
        run = selectors.analysis_run_latest()
    else:
        run = selectors.analysis_run_list().first()
    if run is None:
        raise AnalysisRun.DoesNotExist
    return run


@router.get("/runs/{int:run_id}", response=AnalysisRunOut)
def run_get(request: HttpRequest, run_id: Whole) -> AnalysisRun:
    """One run: status, progress and step, its fitted models and totals."""
    require(request.auth, Capability.ANALYTICS_VIEW)
    return selectors.analysis_run_get(pk=run_id)


@router.post("/runs", response={202: RunQueuedOut})
def run_start(request: HttpRequest) -> dict[str, Any]:
    """Recompute every customer's scores in the background (owner); 409 while a run is
    going or waiting. Follow it with ``GET /runs/latest``."""
    require(request.auth, Capability.ANALYTICS_RUN)
    try:
        result = tasks.analysis_enqueue(actor=request.auth)
    except tasks.AnalysisBusy as error:
        raise HttpError(409, str(error)) from error
    latest = selectors.analysis_run_list().first()
    return {
        "detail": _("The analysis will start in the background in a moment."),
        "task_id": str(result.id),
        "latest": latest,
    }

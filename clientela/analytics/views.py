"""Staff pages of the analytics: the dashboard, the score lists, the recompute button and
the ladder by hand. Parse the request, call a selector or a service, render."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.analytics import selectors, services, wording
from clientela.analytics.forms import (
    CustomerWalletForm,
    LadderClearForm,
    LadderOverrideForm,
    ScoreFilterForm,
)
from clientela.analytics.models import (
    AnalysisRun,
    LadderStage,
    ParetoClass,
    RFMSegment,
    RunStatus,
    RunStep,
)
from clientela.analytics.panels import customer_analytics_panel
from clientela.core.access import Capability, limited_to_own_customers, user_can
from clientela.core.locale import percent_text
from clientela.core.pagination import CappedPaginator
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_find
from clientela.sheets.downloads import Column, column_rows, records, table_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error
from clientela.web.list_actions import list_default_name

# Flows between stages drawn one by one in the chart; the others are summed.
FLOW_SERIES = 8
PANEL_ANCHOR = "#customer-analytics"


# --- names ----------------------------------------------------------------------------


def _model_statuses() -> dict[str, str]:
    return {
        "fitted": _("Fitted"),
        "boundary": _("Fitted at the edge"),
        "unusable": _("Unusable"),
        "skipped": _("Skipped"),
        "not_converged": _("Did not converge"),
        "failed": _("Failed"),
    }


def _stage_label(key: str) -> str:
    return str(LadderStage(key).label) if key in LadderStage.values else (key or _("Unknown"))


def _month_label(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _axis(text: str, **extra) -> dict:
    return {"title": {"display": True, "text": text}, **extra}


# --- the dashboard --------------------------------------------------------------------


def _pareto_chart(curve: list) -> dict:
    points = [[a if a is not None else 0, b if b is not None else 0] for a, b in curve]
    return {
        "type": "line",
        "data": {
            "labels": [round(a * 100) for a, _b in points],
            "datasets": [
                {
                    "label": _("Share of revenue %"),
                    "data": [round(b * 100, 1) for _a, b in points],
                    "pointRadius": 0,
                    "fill": False,
                },
                {
                    "label": _("Equal shares"),
                    "data": [round(a * 100, 1) for a, _b in points],
                    "pointRadius": 0,
                    "borderDash": [4, 4],
                },
            ],
        },
        "options": {
            "scales": {
                "x": _axis(_("Share of customers, the best first (%)")),
                "y": _axis(_("Share of revenue (%)"), min=0, max=100),
            }
        },
    }


def _funnel_chart(stages: dict[str, int]) -> dict:
    return {
        "type": "bar",
        "data": {
            "labels": [_stage_label(key) for key in stages],
            "datasets": [{"label": _("Customers"), "data": list(stages.values())}],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": _axis(_("Customers"), min=0)},
            "plugins": {"legend": {"display": False}},
        },
    }


def _alive_chart(bins: list[int]) -> dict:
    size = 100 // len(bins)
    return {
        "type": "bar",
        "data": {
            "labels": [
                f"{start}–{percent_text((start + size) / 100)}" for start in range(0, 100, size)
            ],
            "datasets": [{"label": _("Customers"), "data": bins}],
        },
        "options": {
            "scales": {
                "x": _axis(_("Probability alive")),
                "y": _axis(_("Customers"), min=0),
            },
            "plugins": {"legend": {"display": False}},
        },
    }


def _flows(flows: list[selectors.LadderFlow]) -> tuple[dict, list[dict]]:
    """The stacked bar chart of changes of stage per month, and their totals per pair."""
    months = sorted({flow.month for flow in flows})
    totals: dict[tuple[str, str], int] = {}
    for flow in flows:
        pair = (flow.from_stage, flow.to_stage)
        totals[pair] = totals.get(pair, 0) + flow.customers
    ranked = sorted(totals, key=lambda pair: (-totals[pair], pair))
    drawn = ranked[:FLOW_SERIES]
    series: dict[tuple[str, str] | None, list[int]] = {pair: [0] * len(months) for pair in drawn}
    if len(ranked) > FLOW_SERIES:
        series[None] = [0] * len(months)
    position = {month: index for index, month in enumerate(months)}
    for flow in flows:
        pair = (flow.from_stage, flow.to_stage)
        series[pair if pair in drawn else None][position[flow.month]] += flow.customers

    def name(pair):
        if pair is None:
            return _("Other changes")
        return f"{_stage_label(pair[0])} → {_stage_label(pair[1])}"

    chart = {
        "type": "bar",
        "data": {
            "labels": [_month_label(month) for month in months],
            "datasets": [{"label": name(pair), "data": data} for pair, data in series.items()],
        },
        "options": {
            "scales": {
                "x": _axis(_("Month"), stacked=True),
                "y": _axis(_("Customers who changed stage"), stacked=True, min=0),
            }
        },
    }
    table = [
        {
            "from": _stage_label(pair[0]),
            "to": _stage_label(pair[1]),
            "to_key": pair[1],
            "customers": totals[pair],
        }
        for pair in ranked
    ]
    return chart, table


def _heat(share: float) -> str:
    """A background class for a cell of a heat table, by its share of the largest."""
    if share <= 0:
        return ""
    for limit, css in ((0.2, "10"), (0.4, "25"), (0.6, "50"), (0.8, "75")):
        if share <= limit:
            return f"bg-primary bg-opacity-{css}"
    return "bg-primary text-white"


def _grid(grid: list[list[int]]) -> list[dict]:
    """The R×F grid as rows, recency 5 (most recent) on top, each cell with its heat."""
    largest = max((count for row in grid for count in row), default=0) or 1
    return [
        {
            "recency": recency,
            "cells": [
                {"count": count, "heat": _heat(count / largest)} for count in grid[recency - 1]
            ],
        }
        for recency in range(5, 0, -1)
    ]


def _cohorts(cohorts: list[selectors.CohortRetention], months: int) -> list[dict]:
    rows = []
    for cohort in cohorts:
        cells = [
            {"share": share, "buyers": buyers, "heat": _heat(share)}
            for share, buyers in zip(cohort.shares, cohort.buyers, strict=True)
        ]
        cells += [None] * (months - len(cells))
        rows.append({"month": cohort.month, "customers": cohort.customers, "cells": cells})
    return rows


def _fitted_models(run: AnalysisRun) -> list[dict]:
    statuses = _model_statuses()
    models = []
    for key, record in (run.fitted_models or {}).items():
        errors = record.get("standard_errors") or {}
        models.append(
            {
                "key": key,
                "name": wording.MODEL_NAMES.get(key, key),
                "status": statuses.get(record.get("status", ""), record.get("status", "")),
                "reason": record.get("reason", "") or wording.boundary_explanation(key, record),
                "scoring": key == (run.figures or {}).get("purchase_model"),
                "parameters": [
                    {"name": name, "value": value, "error": errors.get(name)}
                    for name, value in (record.get("parameters") or {}).items()
                ],
                "log_likelihood": record.get("log_likelihood"),
                "customers": record.get("customers"),
            }
        )
    return models


def _progress_context() -> dict:
    """What the progress indicator shows: the run going on, or one waiting to start.

    Only reads (it is polled every two seconds): a run older than ``RUN_TIMEOUT`` is
    not shown as going on, and the next enqueue marks it failed.
    """
    from clientela.analytics.tasks import RUN_TIMEOUT, analysis_queued

    running = selectors.analysis_run_running(since=timezone.now() - RUN_TIMEOUT)
    return {
        "running": running,
        "queued": running is None and analysis_queued(),
        "step": str(RunStep(running.step).label) if running else "",
    }


@capability_required(Capability.ANALYTICS_VIEW)
def dashboard(request):
    """The latest analysis: KPIs, Pareto curve, ladder funnel and flows, R×F grid,
    probability alive, cohort retention and the fitted models."""
    run = selectors.analysis_run_latest()
    last = selectors.analysis_run_list().first()
    context = {
        "run": run,
        "failed_run": last if last is not None and last.status == RunStatus.FAILED else None,
        "can_run": user_can(request.user, Capability.ANALYTICS_RUN),
        "progress": _progress_context(),
    }
    if run is None:
        return render(request, "analytics/dashboard.html", context)
    overview, cohorts = selectors.dashboard_figures(user=request.user, run=run)
    limited = limited_to_own_customers(request.user)
    churn_explanations = wording.churn_explanations(run)
    first_month = run.as_of.year * 12 + run.as_of.month - selectors.DASHBOARD_MONTHS
    flows_since = date(first_month // 12, first_month % 12 + 1, 1)
    flow_chart, flow_totals = _flows(
        selectors.ladder_flow_list(user=request.user, since=flows_since)
    )
    pareto = (run.figures or {}).get("pareto") or {}
    context.update(
        {
            "overview": overview,
            "customers_scored": overview.customers if limited else run.customers_scored,
            "new_days": selectors.NEW_DAYS,
            "pareto": pareto,
            "pareto_chart": _pareto_chart(pareto.get("curve") or []),
            "classes": [
                {"key": key, "label": label, "count": overview.classes[key]}
                for key, label in ParetoClass.choices
            ],
            "segments": [
                {
                    "key": key,
                    "label": label,
                    "count": overview.segments[key],
                    "explanation": wording.RFM_EXPLANATIONS[key],
                }
                for key, label in RFMSegment.choices
                if overview.segments[key]
            ],
            "stages": [
                {"key": key, "label": label, "count": overview.stages[key]}
                for key, label in LadderStage.choices
            ],
            "funnel_chart": _funnel_chart(overview.stages),
            "flow_chart": flow_chart,
            "flow_totals": flow_totals,
            "flows_since": flows_since,
            "grid": _grid(overview.grid),
            "alive_chart": _alive_chart(overview.alive_bins),
            "alive_total": sum(overview.alive_bins),
            "cohorts": _cohorts(cohorts, selectors.DASHBOARD_MONTHS),
            "cohort_months": range(selectors.DASHBOARD_MONTHS),
            "fitted_models": _fitted_models(run),
            "warnings": wording.run_warnings(run, business=not limited),
            "churn_cards": _churn_cards(overview, churn_explanations),
            "explain": wording.figure_explanations(run),
            "churn_explanations": churn_explanations,
        }
    )
    return render(request, "analytics/dashboard.html", context)


# The churn lists the dashboard shows as cards, in this order.
CHURN_CARDS = ("at_risk", "overdue", "lapsed", "leaving", "likely_gone")


def _churn_cards(overview: selectors.ScoreOverview, explanations: dict[str, str]) -> list[dict]:
    """Each churn card: its list's key, name, count and what it means (``explanations``,
    ``wording.churn_explanations``)."""
    return [
        {
            "key": key,
            "label": wording.CHURN_LABELS[key],
            "count": getattr(overview, key),
            "explanation": explanations[key],
        }
        for key in CHURN_CARDS
    ]


@capability_required(Capability.ANALYTICS_VIEW)
def run_progress(request):
    """The progress indicator (polled by htmx); when nothing is going on any more the
    page is reloaded to show the new figures."""
    context = _progress_context()
    if request.htmx and context["running"] is None and not context["queued"]:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "analytics/_progress.html", {"progress": context})


@require_POST
@capability_required(Capability.ANALYTICS_RUN)
def run_start(request):
    """Have the background worker recompute every score (the owner's button)."""
    from clientela.analytics.tasks import AnalysisBusy, analysis_enqueue

    try:
        analysis_enqueue(actor=request.user)
    except AnalysisBusy as busy:
        messages.warning(request, str(busy))
    else:
        messages.success(
            request, _("The analysis will be recomputed in the background; this page follows it.")
        )
    return redirect("analytics:dashboard")


# --- score lists ----------------------------------------------------------------------


def _filter_labels(arguments: dict) -> list[str]:
    """The chosen filters, named for people (the list's heading)."""
    labels = []
    if arguments["segment"]:
        labels.append(str(RFMSegment(arguments["segment"]).label))
    if arguments["pareto_class"]:
        labels.append(str(ParetoClass(arguments["pareto_class"]).label))
    if arguments["stage"]:
        labels.append(str(LadderStage(arguments["stage"]).label))
    if arguments["churn"]:
        labels.append(str(wording.CHURN_LABELS[arguments["churn"]]))
    if arguments["owner"]:
        labels.append(str(_("My customers only")))
    return labels


def _segment_conditions(arguments: dict, as_of) -> list[dict] | None:
    """The score list's filters as segment conditions (decision 0016), for "Save as
    segment"; None when none is chosen (a segment names at least one), or when nothing
    was computed yet."""
    if as_of is None:
        return None
    conditions: list[dict] = [
        {"field": field, "op": "in", "value": [arguments[key]]}
        for key, field in (
            ("segment", "rfm_segment"),
            ("pareto_class", "pareto_class"),
            ("stage", "ladder_stage"),
            ("churn", "churn"),
        )
        if arguments[key]
    ]
    if arguments["owner"] is not None:
        conditions.append({"field": "owner", "op": "in", "value": [str(arguments["owner"].pk)]})
    return conditions or None


def _scores(request):
    """The score list's filters, their values, its date and its scores, for the page and
    its export."""
    filters = ScoreFilterForm(request.GET)
    filters.is_valid()
    arguments = filters.selector_arguments(user=request.user)
    as_of = selectors.score_latest_date()
    queryset = selectors.score_list(user=request.user, as_of=as_of, **arguments)
    return filters, arguments, as_of, queryset


@capability_required(Capability.ANALYTICS_VIEW)
def score_list(request):
    """The customers of the latest scores, filtered by segment, class, stage and churn,
    the most valuable (or the most at stake) first: the segments campaigns target."""
    filters, arguments, as_of, queryset = _scores(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    run = selectors.analysis_run_of(as_of=as_of) if as_of else None
    rows = [
        {
            "score": score,
            "churn": wording.churn_labels(score),
            "notes": wording.score_notes(score, run),
        }
        for score in page.object_list
    ]
    explanations = wording.churn_explanations(run)
    return render(
        request,
        "analytics/score_list.html",
        {
            "rows": rows,
            "explain": wording.figure_explanations(run),
            "churn_explanation": explanations.get(arguments["churn"], ""),
            "churn_legend": [
                (wording.CHURN_LABELS[key], explanations[key])
                for key in ("overdue", "lapsed", "leaving", "likely_gone")
            ],
            "filters": filters,
            "as_of": as_of,
            "page": page,
            "filtered": filters.is_filtered(),
            "filter_labels": _filter_labels(arguments),
            "segment_conditions": _segment_conditions(arguments, as_of),
            "segment_name": list_default_name(_("Customer scores"), _filter_labels(arguments)),
            "by_stake": selectors.score_order(churn=arguments["churn"], order=arguments["order"])
            == "value_at_stake",
        },
    )


def _churn(score) -> str:
    return ", ".join(str(label) for _key, label in wording.churn_labels(score))


# The columns of the score list.
SCORE_COLUMNS = (
    Column(gettext_lazy("Customer"), lambda score: score.customer.name),
    Column(gettext_lazy("RFM segment"), lambda score: score.get_rfm_segment_display()),
    Column(gettext_lazy("Class"), lambda score: score.pareto_class),
    Column(gettext_lazy("Ladder stage"), lambda score: score.get_ladder_stage_display()),
    Column(gettext_lazy("Last purchase"), lambda score: score.last_purchase_on),
    Column(gettext_lazy("Probability alive"), lambda score: score.probability_alive),
    Column(gettext_lazy("Lifetime value"), lambda score: score.clv),
    Column(gettext_lazy("Value at stake"), lambda score: score.value_at_stake),
    Column(gettext_lazy("Still buying?"), _churn),
)


@capability_required(Capability.ANALYTICS_VIEW)
def score_export(request):
    """The score list as filtered, every page of it, as ``?format=`` csv or xlsx."""
    _filters, _arguments, _as_of, scores = _scores(request)
    return table_download(
        column_rows(SCORE_COLUMNS, records(scores)),
        name=_("customer scores"),
        file_format=request.GET.get("format"),
    )


# --- the ladder by hand and the share of wallet ---------------------------------------


def _customer(request, pk: int) -> Customer:
    """A live customer the user may see, or 404."""
    customer = customer_find(user=request.user, pk=pk)
    if customer is None:
        raise Http404
    return customer


def _panel_page(request, customer: Customer, **bound):
    """The customer's analytics section on a page of its own, with a refused form."""
    panel = customer_analytics_panel(customer, request.user, **bound)
    return render(request, "analytics/customer_form.html", {"customer": customer, "panel": panel})


def _back(customer: Customer):
    return redirect(reverse("customers:detail", args=[customer.pk]) + PANEL_ANCHOR)


@require_POST
@capability_required(Capability.LADDER_OVERRIDE)
def stage_set(request, pk: int):
    """Put the customer on a stage by hand, for a reason."""
    customer = _customer(request, pk)
    form = LadderOverrideForm(request.POST, prefix="stage")
    if form.is_valid():
        try:
            services.ladder_override(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Stage set by hand: %(stage)s.")
                % {"stage": _stage_label(form.cleaned_data["stage"])},
            )
            return _back(customer)
    return _panel_page(request, customer, stage_form=form)


@require_POST
@capability_required(Capability.LADDER_OVERRIDE)
def stage_clear(request, pk: int):
    """Hand the customer back to the rules of the ladder."""
    customer = _customer(request, pk)
    form = LadderClearForm(request.POST, prefix="clear")
    if form.is_valid():
        try:
            services.ladder_override_clear(
                actor=request.user, customer=customer, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The stage is the rules' again."))
            return _back(customer)
    return _panel_page(request, customer, clear_form=form)


@require_POST
@capability_required(Capability.CUSTOMER_EDIT)
def wallet_record(request, pk: int):
    """Record the salesperson's estimate of the customer's share of wallet."""
    customer = _customer(request, pk)
    form = CustomerWalletForm(request.POST, prefix="wallet")
    if form.is_valid():
        try:
            services.customer_wallet_record(
                actor=request.user, customer=customer, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Share of wallet recorded."))
            return _back(customer)
    return _panel_page(request, customer, wallet_form=form)

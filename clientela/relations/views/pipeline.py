"""Staff pages of the pipeline: the board, the list, one opportunity, its form, the
figures and the owner's settings. Each parses the request, calls a selector or a
service, and renders; a service's refusal shows beside the field it names."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.core.access import Capability, user_can
from clientela.core.errors import ConflictError
from clientela.core.pagination import CappedPaginator
from clientela.customers.selectors import customer_find
from clientela.customers.selectors import customer_lookup as customer_lookup_selector
from clientela.orders.models import business_currency
from clientela.relations import selectors, services
from clientela.relations.forms.pipeline import (
    BoardFilterForm,
    ContactLimitForm,
    FiguresFilterForm,
    LostReasonForm,
    MoveForm,
    OpportunityFilterForm,
    OpportunityForm,
    ReopenForm,
    StageForm,
)
from clientela.relations.models import Opportunity, Stage
from clientela.sheets.downloads import Column, column_rows, records, table_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error

BOARD_TARGET = "board"
RESULTS_TARGET = "opportunity-results"


# --- helpers ------------------------------------------------------------------------------


def _is_partial(request, target: str) -> bool:
    return bool(
        request.htmx and request.htmx.target == target and not request.htmx.history_restore_request
    )


def _has_conflict(form) -> bool:
    return any(str(ConflictError()) == str(message) for message in form.non_field_errors())


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _opportunity(request, pk: int) -> Opportunity:
    """The opportunity the user may see, or 404."""
    try:
        return selectors.opportunity_get(user=request.user, pk=pk)
    except Opportunity.DoesNotExist as error:
        raise Http404 from error


def status_of(opportunity: Opportunity) -> str:
    """ "open", "won" or "lost", by the opportunity's stage."""
    if opportunity.stage.is_won:
        return "won"
    return "lost" if opportunity.stage.is_lost else "open"


def _status_labels() -> dict[str, str]:
    return {
        "open": _("Open deal"),
        "won": _("Won deal"),
        "lost": _("Lost deal"),
    }


# --- the board ------------------------------------------------------------------------------


def _board_context(request) -> dict:
    filters = BoardFilterForm(request.GET)
    arguments = filters.selector_arguments()
    columns = selectors.board_columns(user=request.user, **arguments)
    stages = [column.stage for column in columns]
    return {
        "filters": filters,
        "filtered": filters.is_filtered(),
        "columns": [
            {"column": column, "rest": column.count - len(column.cards)} for column in columns
        ],
        "stages": stages,
        "open_stages": [stage for stage in stages if not stage.is_closed],
        "reasons": selectors.lost_reason_list(),
        "can_move": user_can(request.user, Capability.OPPORTUNITY_EDIT),
        "currency": business_currency(),
        "query": request.GET.urlencode(),
    }


def _board(request):
    partial = _is_partial(request, BOARD_TARGET)
    context = _board_context(request) | {"partial": partial}
    template = "relations/pipeline/_board.html" if partial else "relations/pipeline/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@capability_required(Capability.CUSTOMER_VIEW)
def board(request):
    """The board: a column per stage in use with its count and total, cards to drag to
    another column (or move with each card's stage menu), filters by owner, expected
    close month and product; htmx redraws the columns."""
    return _board(request)


@capability_required(Capability.CUSTOMER_VIEW)
def board_column(request, stage: int):
    """The rest of a column's cards, after its first ones (the column's "more")."""
    column_stage = _setting(selectors.stage_list(), stage)
    filters = BoardFilterForm(request.GET)
    cards = selectors.board_column_rest(
        user=request.user, stage=column_stage, **filters.selector_arguments()
    )
    stages = selectors.stage_list()
    return render(
        request,
        "relations/pipeline/_cards.html",
        {
            "cards": cards,
            "stages": stages,
            "can_move": user_can(request.user, Capability.OPPORTUNITY_EDIT),
            "query": request.GET.urlencode(),
        },
    )


# --- the list -------------------------------------------------------------------------------


def _opportunities(request, *, with_products: bool = False):
    """The list's filters and its opportunities, for the page and its export."""
    filters = OpportunityFilterForm(request.GET, stages=selectors.stage_list(in_use=False))
    queryset = selectors.opportunity_list_sorted(
        user=request.user,
        ordering=filters.chosen_ordering(),
        with_products=with_products,
        **filters.selector_arguments(),
    )
    return filters, queryset


@capability_required(Capability.CUSTOMER_VIEW)
def opportunity_list(request):
    """The opportunities: search, filters by owner, stage, status, close month and
    product, a sort order and pages; htmx swaps the rows."""
    filters, queryset = _opportunities(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    partial = _is_partial(request, RESULTS_TARGET)
    context = {
        "filters": filters,
        "page": page,
        "filtered": filters.is_filtered(),
        "partial": partial,
        "status_labels": _status_labels(),
    }
    template = "relations/pipeline/_results.html" if partial else "relations/pipeline/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _status_label(opportunity: Opportunity) -> str:
    return _status_labels()[status_of(opportunity)]


# The columns of the list's export.
OPPORTUNITY_COLUMNS = (
    Column(gettext_lazy("Number"), lambda opportunity: opportunity.pk),
    Column(gettext_lazy("Title"), lambda opportunity: opportunity.title),
    Column(gettext_lazy("Customer number"), lambda opportunity: opportunity.customer_id),
    Column(gettext_lazy("Customer"), lambda opportunity: opportunity.customer.name),
    Column(gettext_lazy("Deal stage"), lambda opportunity: str(opportunity.stage)),
    Column(gettext_lazy("Status"), _status_label),
    Column(gettext_lazy("Amount"), lambda opportunity: opportunity.value),
    Column(gettext_lazy("Currency"), lambda opportunity: opportunity.currency),
    Column(gettext_lazy("Probability (%)"), lambda opportunity: opportunity.probability),
    Column(
        gettext_lazy("Weighted value"),
        lambda opportunity: (opportunity.value * opportunity.probability / 100).quantize(
            opportunity.value
        ),
    ),
    Column(gettext_lazy("Expected close"), lambda opportunity: opportunity.expected_close),
    Column(gettext_lazy("Owner"), lambda opportunity: str(opportunity.owner or "")),
    Column(gettext_lazy("Source"), lambda opportunity: opportunity.get_source_display()),
    Column(
        gettext_lazy("Products of interest"),
        lambda opportunity: ", ".join(product.name for product in opportunity.products.all()),
    ),
    Column(gettext_lazy("Next step"), lambda opportunity: opportunity.next_step),
    Column(gettext_lazy("Created"), lambda opportunity: opportunity.created_at),
    Column(gettext_lazy("Closed"), lambda opportunity: opportunity.closed_at),
    Column(
        gettext_lazy("Lost reason"),
        lambda opportunity: str(opportunity.lost_reason) if opportunity.lost_reason else "",
    ),
    Column(gettext_lazy("Competitor"), lambda opportunity: opportunity.competitor),
)


@capability_required(Capability.CUSTOMER_VIEW)
def opportunity_export(request):
    """The list as searched, filtered and sorted, every page of it, as ``?format=`` csv
    or xlsx."""
    _filters, queryset = _opportunities(request, with_products=True)
    return table_download(
        column_rows(OPPORTUNITY_COLUMNS, records(queryset)),
        name=_("opportunities"),
        file_format=request.GET.get("format"),
    )


# --- one opportunity --------------------------------------------------------------------------


def _form_page(request, form: OpportunityForm, opportunity: Opportunity | None):
    return render(
        request,
        "relations/pipeline/form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "customer": form.chosen_customer,
            "conflict": _has_conflict(form),
        },
    )


@capability_required(Capability.OPPORTUNITY_EDIT)
def opportunity_create(request):
    """A new opportunity with a customer or a prospect."""
    stages = selectors.stage_list()
    customer = None
    if request.method != "POST" and (number := request.GET.get("customer", "")).isdigit():
        customer = customer_find(user=request.user, pk=int(number))
    initial = {"currency": business_currency()}
    if customer is not None:
        initial.update(customer=customer.name, customer_pick=customer.pk, owner=customer.owner_id)
    else:
        initial["owner"] = request.user.pk
    form = OpportunityForm(
        request.POST or None,
        user=request.user,
        customer=customer,
        stages=stages,
        lookup_url=reverse("relations:pipeline_customer_lookup"),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(
                actor=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request, _("Opportunity “%(title)s” opened.") % {"title": opportunity.title}
            )
            return redirect("relations:opportunity_detail", pk=opportunity.pk)
    return _form_page(request, form, None)


@capability_required(Capability.OPPORTUNITY_EDIT)
def opportunity_edit(request, pk: int):
    """Change an opportunity's details; a save based on an outdated version is refused,
    what was typed kept."""
    opportunity = _opportunity(request, pk)
    if request.method != "POST":
        form = OpportunityForm(
            user=request.user,
            opportunity=opportunity,
            initial=OpportunityForm.initial_for(opportunity),
        )
        return _form_page(request, form, opportunity)
    form = OpportunityForm(request.POST, user=request.user, opportunity=opportunity)
    if form.is_valid():
        try:
            services.opportunity_update(
                actor=request.user,
                opportunity=opportunity,
                version=form.cleaned_data["version"],
                **form.service_arguments(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            opportunity = _opportunity(request, pk)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("relations:opportunity_detail", pk=opportunity.pk)
    return _form_page(request, form, opportunity)


@capability_required(Capability.OPPORTUNITY_EDIT)
def customer_lookup(request):
    """Suggestions (``<option>`` elements) for the opportunity form's customer: any
    customer the user may see, a prospect included."""
    customers = customer_lookup_selector(user=request.user, search=request.GET.get("customer", ""))
    return render(request, "customers/_lookup_options.html", {"customers": customers})


def _move_form(opportunity: Opportunity, stages, reasons, *, stage: Stage | None, **bound):
    initial = {"version": opportunity.version, "stage": stage, "open_order": True}
    return MoveForm(initial=initial, stages=stages, reasons=reasons, **bound)


def _detail(request, opportunity: Opportunity, *, bound: MoveForm | ReopenForm | None = None):
    """The opportunity's page; ``bound`` is a refused move or reopening, shown with its
    errors in the form it came from."""
    stages = selectors.stage_list()
    reasons = selectors.lost_reason_list()
    won = next((stage for stage in stages if stage.is_won), None)
    lost = next((stage for stage in stages if stage.is_lost), None)
    others = [s for s in stages if not s.is_closed and s.pk != opportunity.stage_id]
    forms: dict = {}
    if opportunity.closed_at is None:
        forms["move"] = _move_form(opportunity, others, reasons, stage=None)
        if won is not None:
            forms["win"] = _move_form(opportunity, [won], reasons, stage=won)
        if lost is not None:
            forms["lose"] = _move_form(opportunity, [lost], reasons, stage=lost)
    else:
        forms["reopen"] = ReopenForm(initial={"version": opportunity.version}, stages=stages)
    open_form = ""
    if bound is not None:
        chosen = bound.data.get("stage", "")
        if isinstance(bound, ReopenForm):
            open_form = "reopen"
        elif won is not None and chosen == str(won.pk):
            open_form = "win"
        elif lost is not None and chosen == str(lost.pk):
            open_form = "lose"
        else:
            open_form = "move"
        if open_form in forms:
            forms[open_form] = bound
        else:  # it was closed or reopened meanwhile: say why it was refused
            for errors in bound.errors.values():
                for error in errors:
                    messages.error(request, error)
    context = {
        "opportunity": opportunity,
        "status": status_of(opportunity),
        "status_labels": _status_labels(),
        "history": selectors.opportunity_stage_history(opportunity=opportunity),
        "activities": selectors.opportunity_activities(opportunity=opportunity),
        "products": list(opportunity.products.all()),
        "forms": forms if user_can(request.user, Capability.OPPORTUNITY_EDIT) else {},
        "won_stage": won,
        "lost_stage": lost,
        "open_form": open_form,
        "asking": [reason.pk for reason in reasons if reason.asks_competitor],
    }
    return render(request, "relations/pipeline/detail.html", context)


@capability_required(Capability.CUSTOMER_VIEW)
def opportunity_detail(request, pk: int):
    """One opportunity: its details, stage history, activities, draft order, and the
    actions that move, win, lose or reopen it."""
    return _detail(request, _opportunity(request, pk))


def _moved_message(opportunity: Opportunity) -> str:
    if opportunity.stage.is_won and opportunity.order_id:
        return _("“%(title)s” won: draft order %(number)s opened.") % {
            "title": opportunity.title,
            "number": opportunity.order_id,
        }
    return _("“%(title)s” moved to %(stage)s.") % {
        "title": opportunity.title,
        "stage": opportunity.stage,
    }


@require_POST
@capability_required(Capability.OPPORTUNITY_EDIT)
def opportunity_move(request, pk: int):
    """Move an opportunity to another stage: from the board (htmx redraws the columns;
    a refused move returns the card to its column with the reason), from a card's stage
    menu or from the opportunity's page (a refusal shows beside its field there)."""
    opportunity = _opportunity(request, pk)
    form = MoveForm(
        request.POST, stages=selectors.stage_list(), reasons=selectors.lost_reason_list()
    )
    from_board = _is_partial(request, BOARD_TARGET)
    refusal: ValidationError | ConflictError | None = None
    if form.is_valid():
        try:
            services.opportunity_move(
                actor=request.user, opportunity=opportunity, **form.service_arguments()
            )
        except (ValidationError, ConflictError) as error:
            refusal = error
        else:
            messages.success(request, _moved_message(opportunity))
            if from_board:
                return _board(request)
            return redirect(_safe_next(request, reverse("relations:opportunity_detail", args=[pk])))
    if from_board:
        # The board is drawn again as it is now: the card is back in its column.
        for problem in _problems(form, refusal):
            messages.error(request, problem)
        return _board(request)
    if isinstance(refusal, ConflictError):
        # Someone moved it meanwhile: back to where it was asked (a card's stage menu
        # returns to the board), showing the deal as it is now, with the reason.
        messages.error(request, str(refusal))
        return redirect(_safe_next(request, reverse("relations:opportunity_detail", args=[pk])))
    if refusal is not None:
        form_add_service_error(form, refusal)
    return _detail(request, _opportunity(request, pk), bound=form)


def _problems(form: MoveForm, refusal: ValidationError | ConflictError | None) -> list[str]:
    """What to say when a move from the board is refused."""
    if isinstance(refusal, ConflictError):
        return [str(refusal)]
    if refusal is not None:
        return list(refusal.messages)
    return [str(message) for errors in form.errors.values() for message in errors]


@require_POST
@capability_required(Capability.OPPORTUNITY_EDIT)
def opportunity_reopen(request, pk: int):
    """Reopen a won or lost opportunity on an open stage."""
    opportunity = _opportunity(request, pk)
    form = ReopenForm(request.POST, stages=selectors.stage_list())
    if form.is_valid():
        try:
            services.opportunity_reopen(
                actor=request.user,
                opportunity=opportunity,
                version=form.cleaned_data["version"],
                stage=form.cleaned_data.get("stage"),
            )
        except ConflictError as error:
            messages.error(request, str(error))
            return redirect("relations:opportunity_detail", pk=pk)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("“%(title)s” reopened on %(stage)s.")
                % {"title": opportunity.title, "stage": opportunity.stage},
            )
            return redirect("relations:opportunity_detail", pk=pk)
    return _detail(request, _opportunity(request, pk), bound=form)


# --- the figures --------------------------------------------------------------------------------


def _period_label(start: date, period: str) -> str:
    if period == "quarter":
        return _("Q%(quarter)s %(year)s") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


def _chart(kind: str, labels: list[str], datasets: list[dict], **options) -> dict:
    return {"type": kind, "data": {"labels": labels, "datasets": datasets}, "options": options}


@capability_required(Capability.CUSTOMER_VIEW)
def figures(request):
    """The pipeline's figures: the open pipeline weighted by probability per expected-close
    month and per owner; win rate, average deal and sales cycle per month or quarter;
    conversion between stages and median days per stage. Each chart has its table."""
    filters = FiguresFilterForm(request.GET)
    chosen = filters.chosen()
    owner = chosen["owner"]
    by_month = selectors.pipeline_weighted(user=request.user, by="month", owner=owner)
    by_owner = selectors.pipeline_weighted(user=request.user, by="owner", owner=owner)
    closed = selectors.pipeline_closed(
        user=request.user,
        date_from=chosen["date_from"],
        date_to=chosen["date_to"],
        period=chosen["period"],
        owner=owner,
    )
    stages = selectors.pipeline_stages(
        user=request.user, date_from=chosen["date_from"], date_to=chosen["date_to"], owner=owner
    )
    undated = _("No expected close")
    month_labels = [
        formats.date_format(row.key, "YEAR_MONTH_FORMAT") if row.key else undated
        for row in by_month
    ]
    owner_labels = [row.label or _("Nobody") for row in by_owner]
    period_labels = [_period_label(row.start, chosen["period"]) for row in closed.periods]
    stage_labels = [str(row.stage) for row in stages]
    charts = {
        "weighted_month": _chart(
            "bar",
            month_labels,
            [
                {
                    "label": _("Amount"),
                    "data": [float(row.value) for row in by_month],
                },
                {"label": _("Weighted value"), "data": [float(row.weighted) for row in by_month]},
            ],
        ),
        "weighted_owner": _chart(
            "bar",
            owner_labels,
            [{"label": _("Weighted value"), "data": [float(row.weighted) for row in by_owner]}],
            indexAxis="y",
        ),
        "win_rate": _chart(
            "bar",
            period_labels,
            [
                {
                    "label": _("Win rate %"),
                    "data": [
                        round(row.win_rate * 100, 1) if row.win_rate is not None else None
                        for row in closed.periods
                    ],
                    "yAxisID": "share",
                },
                {
                    "type": "line",
                    "label": _("Average sales cycle (days)"),
                    "data": [
                        round(row.average_cycle, 1) if row.average_cycle is not None else None
                        for row in closed.periods
                    ],
                    "yAxisID": "days",
                },
            ],
            scales={
                "share": {"position": "left", "min": 0, "max": 100},
                "days": {"position": "right", "min": 0, "grid": {"drawOnChartArea": False}},
            },
        ),
        "conversion": _chart(
            "bar",
            stage_labels,
            [{"label": _("Deals that reached the stage"), "data": [row.reached for row in stages]}],
        ),
    }
    return render(
        request,
        "relations/pipeline/figures.html",
        {
            "filters": filters,
            "chosen": chosen,
            "by_month": list(zip(month_labels, by_month, strict=True)),
            "by_owner": list(zip(owner_labels, by_owner, strict=True)),
            "weighted_total": sum((row.weighted for row in by_month), start=0),
            "open_total": sum((row.value for row in by_month), start=0),
            "closed": closed,
            "periods": list(zip(period_labels, closed.periods, strict=True)),
            "stages": stages,
            "charts": charts,
            "currency": business_currency(),
        },
    )


# --- the owner's settings -------------------------------------------------------------------------


def _setting(records: list, pk: int):
    """The record ``pk`` among a short list of settings, or 404."""
    found = next((record for record in records if record.pk == pk), None)
    if found is None:
        raise Http404
    return found


def _settings_page(request, current: str, context: dict):
    return render(request, f"relations/pipeline/settings_{current}.html", context)


@capability_required(Capability.PIPELINE_CONFIGURE)
def stage_list(request):
    """The pipeline's stages, in order, and a form to add one."""
    form = StageForm(request.POST or None, initial={"is_active": True, "probability": 0})
    if request.method == "POST" and form.is_valid():
        try:
            stage = services.stage_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage})
            return redirect("relations:pipeline_stages")
    return _settings_page(
        request, "stages", {"records": selectors.stage_list(in_use=False), "form": form}
    )


@capability_required(Capability.PIPELINE_CONFIGURE)
def stage_edit(request, pk: int):
    """Rename, reorder or retire a stage, or change its default probability."""
    stage = _setting(selectors.stage_list(in_use=False), pk)
    form = StageForm(request.POST or None, initial=StageForm.initial_for(stage))
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("relations:pipeline_stages")
    return render(
        request,
        "relations/pipeline/settings_form.html",
        {"form": form, "record": stage, "current": "stages", "title": _("Change the stage")},
    )


@require_POST
@capability_required(Capability.PIPELINE_CONFIGURE)
def stage_delete(request, pk: int):
    """Remove a stage no opportunity ever reached."""
    stage = _setting(selectors.stage_list(in_use=False), pk)
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage})
    return redirect("relations:pipeline_stages")


@capability_required(Capability.PIPELINE_CONFIGURE)
def lost_reason_list(request):
    """The reasons a deal may be lost for, and a form to add one."""
    form = LostReasonForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            reason = services.lost_reason_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Reason “%(name)s” added.") % {"name": reason})
            return redirect("relations:pipeline_reasons")
    return _settings_page(
        request, "reasons", {"records": selectors.lost_reason_list(in_use=False), "form": form}
    )


@capability_required(Capability.PIPELINE_CONFIGURE)
def lost_reason_edit(request, pk: int):
    """Rename, reorder or retire a lost reason."""
    reason = _setting(selectors.lost_reason_list(in_use=False), pk)
    form = LostReasonForm(request.POST or None, initial=LostReasonForm.initial_for(reason))
    if request.method == "POST" and form.is_valid():
        try:
            services.lost_reason_update(
                actor=request.user, lost_reason=reason, **form.service_arguments()
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("relations:pipeline_reasons")
    return render(
        request,
        "relations/pipeline/settings_form.html",
        {"form": form, "record": reason, "current": "reasons", "title": _("Change the reason")},
    )


@capability_required(Capability.PIPELINE_CONFIGURE)
def contact_limit_list(request):
    """The limits on outbound contacts per customer, and a form to set one."""
    form = ContactLimitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_limit_set(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Limit saved."))
            return redirect("relations:pipeline_limits")
    return _settings_page(
        request, "limits", {"records": selectors.contact_limit_list(), "form": form}
    )


@require_POST
@capability_required(Capability.PIPELINE_CONFIGURE)
def contact_limit_remove(request, pk: int):
    """Lift a limit on outbound contacts."""
    limit = _setting(selectors.contact_limit_list(), pk)
    services.contact_limit_remove(actor=request.user, limit=limit)
    messages.success(request, _("Limit lifted."))
    return redirect("relations:pipeline_limits")

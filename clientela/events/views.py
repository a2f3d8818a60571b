"""Staff pages of event sales: parse the request, call a selector or a service, render."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clientela.core.access import Capability
from clientela.core.errors import ConflictError
from clientela.core.pagination import CappedPaginator
from clientela.events import selectors, services
from clientela.events.forms import (
    EventFilterForm,
    EventForm,
    EventItemForm,
    PlanForm,
    SalesGrid,
)
from clientela.events.models import Event
from clientela.events.selectors import Comparison, EventPlan
from clientela.events.sheet import event_rows
from clientela.sheets.downloads import table_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error

RESULTS_TARGET = "event-results"


def _event(pk: int) -> Event:
    """The event with its products and daily sales, or 404."""
    try:
        return selectors.event_get(pk=pk)
    except Event.DoesNotExist as error:
        raise Http404 from error


def _has_conflict(form) -> bool:
    return any(str(ConflictError()) == str(message) for message in form.non_field_errors())


# --- list ---------------------------------------------------------------------------


def _events(request):
    """The event list's filters and its events, for the page and its export."""
    filters = EventFilterForm(request.GET, years=selectors.event_years())
    filters.is_valid()
    return filters, selectors.event_list(**filters.selector_arguments())


@capability_required(Capability.EVENT_VIEW)
def event_list(request):
    """Events, newest first, by kind, location and year; htmx swaps only the results."""
    filters, queryset = _events(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    rows = selectors.event_list_rows(page)
    partial = bool(
        request.htmx
        and request.htmx.target == RESULTS_TARGET
        and not request.htmx.history_restore_request
    )
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "filtered": filters.is_filtered(),
        "partial": partial,
    }
    template = "events/_results.html" if partial else "events/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@capability_required(Capability.EVENT_VIEW)
def event_export(request):
    """The event list as filtered, every page of it, as ``?format=`` csv or xlsx: a row
    per product and day sold, the columns the event import reads back."""
    _filters, events = _events(request)
    return table_download(
        event_rows(events), name=_("events"), file_format=request.GET.get("format")
    )


# --- create and edit ----------------------------------------------------------------


@capability_required(Capability.EVENT_EDIT)
def event_create(request):
    """Add an event; errors from the service show beside their fields.

    ``?kind=&location=&start_date=&duration_days=`` fill the form (from a plan page).
    """
    initial = {"duration_days": 1}
    initial.update(
        {name: request.GET[name] for name in PlanForm.base_fields if request.GET.get(name)}
    )
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Event “%(name)s” added.") % {"name": event.name})
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/form.html", {"form": form, "event": None})


@capability_required(Capability.EVENT_EDIT)
def event_edit(request, pk: int):
    """Change an event; a save based on an outdated version is refused, input kept."""
    event = _event(pk)
    if request.method != "POST":
        form = EventForm(initial=EventForm.initial_for(event), event=event)
        return render(request, "events/form.html", {"form": form, "event": event})
    form = EventForm(request.POST, event=event)
    if form.is_valid():
        try:
            services.event_update(
                actor=request.user,
                event=event,
                version=form.cleaned_data["version"],
                **form.service_arguments(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            event = _event(pk)  # the service changed the object in memory
        else:
            messages.success(request, _("Changes saved."))
            return redirect("events:detail", pk=event.pk)
    return render(
        request,
        "events/form.html",
        {"form": form, "event": event, "conflict": _has_conflict(form)},
    )


def _posted_version(request) -> int:
    """The version the page showed (a hidden field); -1 when missing, which the service
    refuses as stale."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else -1


def _event_removal(request, pk: int, service, done: str, then: str):
    """Delete or cancel the event (``service``) with the version the page showed; say
    ``done`` and go to the URL ``then``, or back to the event with the reason it was refused."""
    event = _event(pk)
    try:
        service(actor=request.user, event=event, version=_posted_version(request))
    except (ValidationError, ConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("events:detail", pk=pk)
    messages.success(request, done % {"event": event.name})
    return redirect(then)


@require_POST
@capability_required(Capability.EVENT_REMOVE)
def event_delete(request, pk: int):
    """Delete an event without sales, back to the list; refused, back to the event."""
    return _event_removal(
        request, pk, services.event_delete, _("%(event)s deleted."), reverse("events:list")
    )


@require_POST
@capability_required(Capability.EVENT_REMOVE)
def event_cancel(request, pk: int):
    """Mark an event with sales cancelled."""
    return _event_removal(
        request,
        pk,
        services.event_cancel,
        _("%(event)s cancelled."),
        reverse("events:detail", args=[pk]),
    )


# --- one event ----------------------------------------------------------------------


def _chosen_day(event: Event, value: str | None) -> date | None:
    """The day picked with ``?day=YYYY-MM-DD`` if it is one of the event's; else None."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if day in event.days() else None


def _chart(comparison: Comparison) -> dict:
    """Chart.js configuration: expected against sold, one pair of bars per product."""
    return {
        "type": "bar",
        "data": {
            "labels": [row.product.name for row in comparison.rows],
            "datasets": [
                {"label": _("Expected"), "data": [float(row.expected) for row in comparison.rows]},
                {"label": _("Sold"), "data": [float(row.sold) for row in comparison.rows]},
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True}}},
    }


def _detail(
    request,
    event: Event,
    *,
    grid: SalesGrid | None = None,
    item_form: EventItemForm | None = None,
    day: date | None = None,
):
    """The event's page: details, products, the daily-sales grid and the comparison."""
    items = list(event.items.all())
    days = [day] if day else event.days()
    comparison = selectors.event_comparison(event=event)
    context = {
        "event": event,
        "items": items,
        "grid": grid or SalesGrid(items, days, version=event.sales_version),
        "day": day,
        "days": event.days(),
        "comparison": comparison,
        "chart": _chart(comparison),
        "item_form": item_form or EventItemForm(),
        "has_sales": selectors.event_has_sales(event),
    }
    return render(request, "events/detail.html", context)


@capability_required(Capability.EVENT_VIEW)
def event_detail(request, pk: int):
    """Everything about one event; ``?day=`` shows one day of the sales grid."""
    event = _event(pk)
    return _detail(request, event, day=_chosen_day(event, request.GET.get("day")))


@capability_required(Capability.EVENT_EDIT)
def item_set(request, pk: int):
    """Add a product to the event or change its line (``?product=`` opens that line)."""
    event = _event(pk)
    items = {item.product_id: item for item in event.items.all()}
    chosen = request.POST.get("product") or request.GET.get("product") or ""
    current = items.get(int(chosen)) if chosen.isdigit() else None
    if request.method != "POST":
        initial = EventItemForm.initial_for(current) if current else {}
        form = EventItemForm(initial=initial, current=current)
        return render(
            request, "events/item_form.html", {"event": event, "form": form, "item": current}
        )
    form = EventItemForm(request.POST, current=current)
    if form.is_valid():
        try:
            services.event_item_set(actor=request.user, event=event, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            product = form.cleaned_data["product"]
            messages.success(request, _("%(product)s saved.") % {"product": product.name})
            return redirect(reverse("events:detail", args=[event.pk]) + "#products")
    return render(request, "events/item_form.html", {"event": event, "form": form, "item": current})


@require_POST
@capability_required(Capability.EVENT_EDIT)
def item_remove(request, pk: int, product_pk: int):
    """Take a product off the event (refused once some of it sold)."""
    event = _event(pk)
    item = next((item for item in event.items.all() if item.product_id == product_pk), None)
    if item is None:
        raise Http404
    try:
        services.event_item_remove(actor=request.user, item=item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(product)s removed.") % {"product": item.product.name})
    return redirect(reverse("events:detail", args=[event.pk]) + "#products")


@require_POST
@capability_required(Capability.EVENT_EDIT)
def sales_save(request, pk: int):
    """Save the daily-sales grid in one go: every changed cell, or none if one is refused.

    The grid carries the sales version it was opened at: if someone saved sales since,
    nothing is saved, the page says so and what was typed stays in the cells.
    """
    event = _event(pk)
    day = _chosen_day(event, request.POST.get("day"))
    items = list(event.items.all())
    grid = SalesGrid(
        items, [day] if day else event.days(), version=event.sales_version, data=request.POST
    )
    if grid.version is None:
        messages.error(request, _("The form is missing the record's version; reload the page."))
        return _detail(request, event, grid=grid, day=day)
    changes = grid.changes()
    with transaction.atomic():
        try:
            services.event_sales_save(
                actor=request.user,
                event=event,
                version=grid.version,
                sales=[
                    {"item": cell.item, "sold_on": cell.day, "quantity": quantity}
                    for cell, quantity in changes
                ],
            )
        except ConflictError as error:
            grid.conflict = True
            messages.error(request, str(error))
        except ValidationError as error:
            form_add_service_error(
                grid, error, rows_key="sales", rows=[cell for cell, _quantity in changes]
            )
        if grid.has_errors:
            transaction.set_rollback(True)
    if grid.conflict:
        return _detail(request, _event(pk), grid=grid, day=day)
    if grid.has_errors or grid.other_errors:
        messages.error(
            request,
            " ".join(
                [
                    _("No sale was saved: correct the marked cells and save again."),
                    *grid.other_errors,
                ]
            ),
        )
        return _detail(request, event, grid=grid, day=day)
    if changes:
        messages.success(request, _("Sales saved."))
    else:
        messages.info(request, _("Nothing changed."))
    address = reverse("events:detail", args=[event.pk])
    if day:
        address += "?" + urlencode({"day": day.isoformat()})
    return redirect(address + "#sales")


# --- plans --------------------------------------------------------------------------


def _plan_context(plan: EventPlan) -> dict:
    """The plan with each back-test point next to the past event it was made for."""
    events = {event.pk: event for event in plan.events}
    lines = [
        {
            "line": line,
            "points": [
                {"event": events.get(point.event_id), "point": point} for point in line.backtest
            ],
        }
        for line in plan.lines
    ]
    return {"plan": plan, "lines": lines}


@capability_required(Capability.EVENT_VIEW)
def event_plan(request, pk: int):
    """What to bring to this event, suggested from the similar events before it."""
    event = _event(pk)
    plan = selectors.event_plan(event=event)
    return render(request, "events/plan.html", {"event": event, **_plan_context(plan)})


@capability_required(Capability.EVENT_VIEW)
def plan_new(request):
    """What to bring to an event not yet created: kind, location, first day and days."""
    form = PlanForm(request.GET or None, initial={"duration_days": 1})
    context = {"event": None, "form": form}
    if form.is_valid():
        context.update(_plan_context(selectors.event_plan_for(**form.cleaned_data)))
        context["create_query"] = urlencode(
            {
                name: value.isoformat() if isinstance(value, date) else value
                for name, value in form.cleaned_data.items()
            }
        )
    return render(request, "events/plan.html", context)


@require_POST
@capability_required(Capability.EVENT_EDIT)
def plan_apply(request, pk: int):
    """Fill brought and expected from the plan: expected = suggestion, brought = it rounded up."""
    event = _event(pk)
    address = reverse("events:detail", args=[event.pk]) + "#products"
    try:
        plan = services.event_plan_apply(actor=request.user, event=event)
    except ValidationError as error:
        messages.error(
            request, _("The plan was not used; nothing changed.") + " " + " ".join(error.messages)
        )
        return redirect(address)
    if not plan.lines:
        messages.info(request, plan.explanation)
        return redirect(address)
    messages.success(
        request,
        ngettext(
            "Brought and expected filled from the plan for %(count)s product.",
            "Brought and expected filled from the plan for %(count)s products.",
            len(plan.lines),
        )
        % {"count": len(plan.lines)},
    )
    return redirect(address)

"""The segment pages: the list, the builder with its live count, a segment's page (its
conditions in words, its members, their export) and "Save as segment" from the lists of
customers elsewhere (``web.list_actions``).

Views parse the request, call a selector or a service and render; a refused condition
goes back beside its row, any other refusal beside its field.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.campaigns import selectors, services
from clientela.campaigns.forms.segments import (
    ConditionRow,
    SegmentForm,
    field_menu,
    product_choices,
    rows_clean,
    rows_from_conditions,
    rows_from_post,
)
from clientela.campaigns.models import Segment
from clientela.campaigns.wording import conditions_words
from clientela.core.access import Capability, user_can
from clientela.core.errors import ConflictError
from clientela.core.models import Role
from clientela.core.pagination import CappedPaginator
from clientela.customers.sheet import customer_rows
from clientela.sheets.downloads import table_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error


def _segment(request, pk: int) -> Segment:
    """The segment the user may use, or 404."""
    try:
        return selectors.segment_get(user=request.user, pk=pk)
    except Segment.DoesNotExist as error:
        raise Http404 from error


def _may_change(user, segment: Segment) -> bool:
    """Whether ``user`` may change or delete ``segment``: its maker or the owner."""
    return user_can(user, Capability.CAMPAIGN_EDIT) and (
        user.role == Role.OWNER or segment.created_by_id == user.pk
    )


@capability_required(Capability.CAMPAIGN_VIEW)
def segment_list(request):
    """The segments the user may use, with their maker; each counts its members when
    shown (htmx), so a long list is not counted at once."""
    segments = selectors.segment_list(user=request.user)
    return render(request, "campaigns/segments/list.html", {"segments": segments})


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def segment_members_count(request, pk: int):
    """A segment's member count, as the list shows it in its row."""
    segment = _segment(request, pk)
    count = selectors.segment_count(user=request.user, conditions=segment.conditions)
    return render(request, "campaigns/segments/_row_count.html", {"count": count})


def _builder(request, form: SegmentForm, rows: list[ConditionRow], segment: Segment | None):
    context = {
        "form": form,
        "rows": rows,
        "segment": segment,
        "field_menu": field_menu(),
        "products": product_choices() if any(r.kind == "products" for r in rows) else [],
        "rows_error": getattr(form, "rows_error", ""),
    }
    return render(request, "campaigns/segments/form.html", context)


def _conditions_block(request, rows: list[ConditionRow]):
    """The builder's rows alone, after one is added, removed or changes its field; the
    live count is asked again (``conditions-changed``)."""
    context = {
        "rows": rows,
        "builder_url": request.path,
        "field_menu": field_menu(),
        "products": product_choices() if any(r.kind == "products" for r in rows) else [],
    }
    response = render(request, "campaigns/segments/_conditions.html", context)
    response["HX-Trigger"] = "conditions-changed"
    return response


def _rebuilding(request) -> bool:
    """Whether the post only redraws the rows (a row added, removed or its field
    changed), saving nothing."""
    return any(key in request.POST for key in ("add", "remove", "rebuild"))


def _save(request, segment: Segment | None):
    """Create or change a segment from the builder; the page again on a refusal."""
    form = SegmentForm(request.POST)
    rows = rows_from_post(request.POST)
    if _rebuilding(request):
        if request.htmx:
            return _conditions_block(request, rows)
        form.is_valid()
        return _builder(request, form, rows, segment)
    conditions = None
    try:
        conditions = rows_clean(rows)
    except ValidationError as error:
        if not any(row.error for row in rows):
            form.rows_error = " ".join(error.messages)  # type: ignore[attr-defined]
    if conditions == []:
        form.rows_error = _("Add at least one condition.")  # type: ignore[attr-defined]
    if form.is_valid() and conditions:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "shared": data["shared"],
            "conditions": conditions,
        }
        try:
            if segment is None:
                segment = services.segment_create(actor=request.user, **fields)
            else:
                segment = services.segment_update(
                    actor=request.user,
                    segment=segment,
                    version=data["version"] or 0,
                    **fields,
                )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            if segment is not None and segment.pk:
                segment = _segment(request, segment.pk)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("campaigns:segment_detail", pk=segment.pk)
    return _builder(request, form, rows, segment)


@capability_required(Capability.CAMPAIGN_EDIT)
def segment_new(request):
    """Build a segment: conditions added and removed row by row, the count live."""
    if request.method == "POST":
        return _save(request, None)
    form = SegmentForm(initial={"shared": True})
    return _builder(request, form, [ConditionRow(index=0)], None)


@capability_required(Capability.CAMPAIGN_EDIT)
def segment_edit(request, pk: int):
    """Change a segment (its maker or the owner)."""
    segment = _segment(request, pk)
    if not _may_change(request.user, segment):
        raise Http404
    if request.method == "POST":
        return _save(request, segment)
    form = SegmentForm(
        initial={
            "name": segment.name,
            "description": segment.description,
            "shared": segment.shared,
            "version": segment.version,
        }
    )
    return _builder(request, form, rows_from_conditions(segment.conditions), segment)


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def segment_count(request):
    """The live count of the builder's conditions as they stand (rows with no field yet
    left out), or the refusal naming the wrong condition."""
    rows = rows_from_post(request.POST)
    try:
        conditions = rows_clean(rows, skip_blank=True)
    except ValidationError as error:
        message = " ".join(error.message_dict.get("conditions", error.messages))
        return render(request, "campaigns/segments/_count.html", {"error": message})
    count = selectors.segment_count(user=request.user, conditions=conditions)
    return render(request, "campaigns/segments/_count.html", {"count": count})


@capability_required(Capability.CAMPAIGN_VIEW)
def segment_detail(request, pk: int):
    """A segment: its conditions in words, how many it finds, its members page by page,
    their export, and what may be done with it."""
    segment = _segment(request, pk)
    members = selectors.segment_members(
        user=request.user, conditions=segment.conditions
    ).select_related("owner")
    page = CappedPaginator(members, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    context = {
        "segment": segment,
        "words": conditions_words(segment.conditions),
        "page": page,
        "may_change": _may_change(request.user, segment),
        "campaigns": list(segment.campaigns.order_by("-starts_on", "-id")[:20]),
    }
    return render(request, "campaigns/segments/detail.html", context)


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def segment_export(request, pk: int):
    """A segment's members as ``?format=`` csv or xlsx: the customer list's columns."""
    segment = _segment(request, pk)
    members = selectors.segment_members(user=request.user, conditions=segment.conditions)
    return table_download(
        customer_rows(members), name=segment.name, file_format=request.GET.get("format", "")
    )


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def segment_delete(request, pk: int):
    """Delete a segment no campaign uses; the refusal when one does."""
    segment = _segment(request, pk)
    try:
        services.segment_delete(actor=request.user, segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaigns:segment_detail", pk=segment.pk)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("campaigns:segment_list")


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def segment_save_from(request):
    """Save a list's filters (posted as ``conditions`` JSON, with a ``name``) as a
    segment, then show it; the name asked again when it is refused."""
    raw = request.POST.get("conditions", "")
    name = request.POST.get("name", "")
    error = ""
    try:
        conditions = json.loads(raw)
    except json.JSONDecodeError:
        conditions, error = None, _("The list's filters did not come through; try again.")
    if conditions is not None:
        try:
            segment = services.segment_create(
                actor=request.user, name=name, conditions=conditions, shared=True
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("campaigns:segment_detail", pk=segment.pk)
    context = {"conditions_json": raw, "name": name, "error": error}
    return render(request, "campaigns/segments/save_from.html", context, status=422)

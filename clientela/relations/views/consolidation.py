"""The consolidation view of seed 000 on its own page: a list the home page's card opens,
and one action that plans a call with everyone on it, respecting consent and the
contact limits."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clientela.core.access import Capability, user_can
from clientela.core.pagination import CappedPaginator
from clientela.relations import selectors, services
from clientela.relations.forms.consolidation import ConsolidationFilterForm, PlanCallsForm
from clientela.web.decorators import capability_required
from clientela.web.list_actions import list_default_name

# Calls planned by one press of the button, at most: the list's first ones, most at stake.
PLAN_AT_ONCE = 500

TITLES = {
    "key_not_contacted": gettext_lazy("Key customers not contacted"),
    "drifting_unplanned": gettext_lazy("Drifting away, nothing planned"),
}
SUBJECTS = {
    "key_not_contacted": gettext_lazy("Keep in touch"),
    "drifting_unplanned": gettext_lazy("Win them back"),
}


def _segment_conditions(which: str, days: int, owner) -> list[dict]:
    """The list as segment conditions (decision 0016), for "Save as segment"."""
    if which == "key_not_contacted":
        conditions: list[dict] = [
            {"field": "key_customer", "op": "is", "value": True},
            {"field": "not_contacted_days", "op": "at_least", "value": days},
        ]
    else:
        conditions = [
            {"field": "churn", "op": "in", "value": ["at_risk"]},
            {"field": "activity_planned", "op": "is", "value": False},
        ]
    if owner is not None:
        conditions.append({"field": "owner", "op": "in", "value": [str(owner.pk)]})
    return conditions


def _filters(request) -> tuple[int, bool]:
    form = ConsolidationFilterForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["days"], form.cleaned_data["mine"]
    return settings.CLIENTELA_NO_CONTACT_DAYS, False


@capability_required(Capability.ANALYTICS_VIEW)
def consolidation(request, which: str):
    """One consolidation list, with its action: plan a call with each customer on it,
    assigned to the customer's owner; those the contact check refuses are listed with
    the reason and left out."""
    if which not in selectors.CONSOLIDATION_LISTS:
        raise Http404
    days, mine = _filters(request)
    owner = request.user if mine else None
    rows = selectors.consolidation_list(user=request.user, which=which, days=days, owner=owner)
    can_plan = user_can(request.user, Capability.ACTIVITY_EDIT)
    form = PlanCallsForm(initial={"subject": SUBJECTS[which]})
    left_out: list = []
    if request.method == "POST":
        if not can_plan:
            raise Http404
        form = PlanCallsForm(request.POST)
        if form.is_valid():
            customers = [score.customer for score in rows[:PLAN_AT_ONCE]]
            planned, left_out = services.activities_plan_calls(
                actor=request.user,
                customers=customers,
                due_at=form.due_at(),
                subject=form.cleaned_data["subject"],
            )
            messages.success(
                request,
                ngettext(
                    "Planned %(count)d call, assigned to each customer's owner.",
                    "Planned %(count)d calls, assigned to each customer's owner.",
                    len(planned),
                )
                % {"count": len(planned)},
            )
            if not left_out:
                return redirect(request.get_full_path())
            messages.warning(
                request,
                ngettext(
                    "%(count)d customer was left out: see why below.",
                    "%(count)d customers were left out: see why below.",
                    len(left_out),
                )
                % {"count": len(left_out)},
            )
            rows = selectors.consolidation_list(
                user=request.user, which=which, days=days, owner=owner
            )
    page = CappedPaginator(rows, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    return render(
        request,
        "relations/consolidation/list.html",
        {
            "which": which,
            "title": TITLES[which],
            "days": days,
            "mine": mine,
            "page": page,
            "form": form,
            "can_plan": can_plan,
            "plan_at_once": PLAN_AT_ONCE,
            "left_out": left_out,
            "segment_conditions": _segment_conditions(which, days, owner),
            "segment_name": list_default_name(TITLES[which]),
            "intro": _(
                "Class A customers and Champions with no contact, either way, in the last "
                "%(days)d days."
            )
            % {"days": days}
            if which == "key_not_contacted"
            else _("Customers the latest analysis sees drifting away, with no activity planned."),
        },
    )

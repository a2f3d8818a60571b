"""A campaign's results, several campaigns side by side, and the members' export.

Every role that sees campaigns sees their results, which are aggregates; the export lists
customers, so it holds only those the user may see.
"""

from typing import Any

from django import forms
from django.shortcuts import get_object_or_404, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from clientela.campaigns.models import Campaign, CampaignMember, SetAsideReason
from clientela.campaigns.results import (
    Results,
    campaign_conversions,
    campaign_member_rows,
    campaign_results,
    results_campaigns,
)
from clientela.campaigns.templatetags.campaign_results import points, rate
from clientela.core.access import Capability
from clientela.sheets.downloads import Column, column_rows, records, table_download
from clientela.web.decorators import capability_required

# How many campaigns the comparison shows at once.
COMPARE_LIMIT = 6


def _sentence(results: Results) -> dict[str, str] | None:
    """The numbers of the plain-words verdict on the lift, formatted the local way."""
    if results.lift is None:
        return None
    difference = results.lift.rate
    return {
        "contacted": rate(results.contacted.conversion_rate),
        "holdout": rate(results.holdout.conversion_rate),
        "difference": points(abs(difference.estimate)),
        "signed": points(difference.estimate),
        "low": points(difference.low),
        "high": points(difference.high),
    }


def _chart(results: Results) -> dict:
    """The Chart.js line chart of the cumulative conversions of both groups."""
    return {
        "type": "line",
        "data": {
            "labels": [
                formats.date_format(point.day, "SHORT_DATE_FORMAT") for point in results.series
            ],
            "datasets": [
                {
                    "label": _("Contacted group"),
                    "data": [
                        None if point.contacted is None else round(point.contacted * 100, 2)
                        for point in results.series
                    ],
                },
                {
                    "label": _("Hold-out"),
                    "data": [
                        None if point.holdout is None else round(point.holdout * 100, 2)
                        for point in results.series
                    ],
                    "borderDash": [6, 4],
                },
            ],
        },
        "options": {
            "scales": {
                "y": {"min": 0, "title": {"display": True, "text": _("Converted (%)")}},
            }
        },
    }


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_results_page(request, pk: int):
    """A campaign's figures, the lift over its hold-out in plain words, and the chart of
    conversions over the window."""
    campaign = get_object_or_404(Campaign, pk=pk)
    results = campaign_results(campaign)
    context: dict[str, Any] = {"campaign": campaign, "results": results}
    if results is not None:
        context |= {
            "sentence": _sentence(results),
            "chart": _chart(results),
            "reasons": [
                (reason.label, results.set_aside_by_reason[reason])
                for reason in SetAsideReason
                if results.set_aside_by_reason.get(reason)
            ],
        }
    return render(request, "campaigns/results/results.html", context)


class CampaignPicker(forms.ModelMultipleChoiceField):
    """Launched campaigns, each shown with the day it was launched."""

    def label_from_instance(self, obj: Campaign) -> str:
        assert obj.launched_at is not None
        launched = formats.date_format(timezone.localdate(obj.launched_at), "SHORT_DATE_FORMAT")
        return f"{obj.name} ({launched})"


class CompareForm(forms.Form):
    """The launched campaigns to set side by side."""

    ids = CampaignPicker(
        label=gettext_lazy("Campaigns"),
        queryset=Campaign.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["ids"]
        assert isinstance(field, CampaignPicker)
        field.queryset = results_campaigns()

    def clean_ids(self):
        chosen = self.cleaned_data["ids"]
        if len(chosen) > COMPARE_LIMIT:
            raise forms.ValidationError(
                _("Compare at most %(limit)s campaigns at once.") % {"limit": COMPARE_LIMIT}
            )
        return chosen


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_compare(request):
    """Several launched campaigns' figures side by side, with a picker of campaigns."""
    form = CompareForm(request.GET or None)
    compared = []
    if form.is_bound and form.is_valid():
        chosen = sorted(
            form.cleaned_data["ids"], key=lambda campaign: -campaign.launched_at.timestamp()
        )
        compared = [campaign_results(campaign) for campaign in chosen]
    return render(
        request,
        "campaigns/results/compare.html",
        {"form": form, "compared": compared, "limit": COMPARE_LIMIT},
    )


def _member_columns(conversions: dict) -> tuple[Column, ...]:
    def revenue(member: CampaignMember):
        return conversions.get(member.customer_id)

    return (
        Column(gettext_lazy("Customer"), lambda member: member.customer.name),
        Column(gettext_lazy("E-mail"), lambda member: member.email or ""),
        Column(gettext_lazy("Phone"), lambda member: member.phone or ""),
        Column(
            pgettext_lazy("campaign member", "Group"), lambda member: member.get_group_display()
        ),
        Column(gettext_lazy("Set aside because"), lambda member: member.get_reason_display()),
        Column(gettext_lazy("State"), lambda member: member.get_state_display()),
        Column(gettext_lazy("Outcome"), lambda member: member.get_outcome_display()),
        Column(gettext_lazy("Contacted"), lambda member: member.contacted_at),
        Column(gettext_lazy("Unsubscribed"), lambda member: member.unsubscribed_at),
        Column(
            gettext_lazy("Converted"),
            lambda member: _("yes") if member.customer_id in conversions else _("no"),
        ),
        Column(gettext_lazy("Revenue in the window"), lambda member: revenue(member) or 0),
    )


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_members_export(request, pk: int):
    """The members of a campaign that the user may see, with their group, how their
    contact went and whether they converted, as .xlsx or (``?format=csv``) .csv."""
    campaign = get_object_or_404(Campaign, pk=pk)
    rows = campaign_member_rows(user=request.user, campaign=campaign)
    return table_download(
        column_rows(_member_columns(campaign_conversions(campaign)), records(rows)),
        name=_("campaign %(id)s members") % {"id": campaign.pk},
        file_format=request.GET.get("format", "xlsx"),
    )

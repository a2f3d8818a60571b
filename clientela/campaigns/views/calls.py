"""A call campaign's pages: the calls shared among the staff (``call_assign``), each
caller's list with the script and one outcome form per customer (``call_list``), and the
outcome recorded (``call_record``: htmx swaps the row; without JavaScript a plain POST
comes back to the list)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    MemberState,
)
from clientela.campaigns.recipients import (
    delivery_address,
    main_contact,
    recipient_values,
    script_text,
)
from clientela.campaigns.selectors import call_list_for, call_progress
from clientela.campaigns.services._common import maker_check, maker_is
from clientela.campaigns.services.calls import call_list_assign, call_record, caller_can
from clientela.core.access import Capability, user_can
from clientela.core.models import Role, User
from clientela.core.pagination import CappedPaginator
from clientela.relations.models import Outcome
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error


class CallForm(forms.Form):
    """How a call went."""

    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    """Who calls: chosen staff, or each customer's owner."""

    callers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Callers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    by_owner = forms.BooleanField(
        label=gettext_lazy("Give each call to the customer's owner"),
        required=False,
        help_text=gettext_lazy("Customers without an owner who may call go to you."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        able = [user.pk for user in User.objects.filter(is_active=True) if caller_can(user)]
        field = self.fields["callers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(pk__in=able).order_by("first_name", "username")


def _campaign(pk: int) -> Campaign:
    """The call campaign ``pk``, or 404."""
    campaign = Campaign.objects.filter(pk=pk, channel=CampaignChannel.CALL).first()
    if campaign is None:
        raise Http404
    return campaign


def _rows(campaign: Campaign, members) -> list[dict]:
    """Each member of a caller's list with their main contact and script."""
    by_language = {message.language: message for message in campaign.messages.all()}
    rows = []
    for member in members:
        customer = member.customer
        contact = main_contact(customer)
        values = recipient_values(
            campaign=campaign,
            customer=customer,
            contact=contact,
            address=delivery_address(customer),
        )
        message = by_language.get(customer.language) or by_language.get("")
        try:
            script = script_text(campaign=campaign, message=message, values=values)
        except ValidationError:
            script = campaign.offer
        rows.append({"member": member, "contact": contact, "script": script})
    return rows


def _row_context(request: HttpRequest, campaign: Campaign, row: dict, form=None) -> dict:
    return {
        "campaign": campaign,
        "row": row,
        "form": form,
        "can_record": _may_record(request.user, campaign, row["member"]),
        "outcomes": Outcome.choices,
    }


def _may_record(user: User, campaign: Campaign, member: CampaignMember) -> bool:
    return (
        campaign.status == CampaignStatus.RUNNING
        and member.state == MemberState.QUEUED
        and user_can(user, Capability.INTERACTION_RECORD)
        and (member.caller_id == user.pk or user.role == Role.OWNER)
    )


@capability_required(Capability.CAMPAIGN_VIEW)
def call_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A caller's calls of a campaign: each customer with their phones, last contacts,
    the script and the outcome form; the progress of the calls (everyone's, for whoever
    runs the campaign, who may also open another caller's list with ``?caller=``)."""
    campaign = _campaign(pk)
    manages = maker_is(request.user, campaign)
    caller: User = request.user
    if manages and (chosen := request.GET.get("caller", "")).isdigit():
        caller = User.objects.filter(pk=int(chosen)).first() or request.user
    members = call_list_for(user=request.user, campaign=campaign, caller=caller)
    page = CappedPaginator(members, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    progress = call_progress(campaign)
    mine = next((entry for entry in progress if entry.caller == caller), None)
    context = {
        "campaign": campaign,
        "caller": caller,
        "page": page,
        "rows": [_row_context(request, campaign, row) for row in _rows(campaign, page.object_list)],
        "progress": progress if manages else [],
        "mine": mine,
        "manages": manages,
        "outcomes": Outcome.choices,
    }
    return render(request, "campaigns/calls/call_list.html", context)


@require_POST
@capability_required(Capability.INTERACTION_RECORD)
def call_record_view(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Record how the call to a member went; htmx gets the row back, a plain POST the
    list."""
    campaign = _campaign(pk)
    member = CampaignMember.objects.filter(campaign=campaign, pk=member_pk).first()
    if member is None:
        raise Http404
    form = CallForm(request.POST)
    recorded = False
    if form.is_valid():
        try:
            call_record(
                actor=request.user,
                member=member,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            recorded = True
    list_url = reverse("campaigns:call_list", args=[campaign.pk])
    if not request.htmx:
        if recorded:
            messages.success(request, _("Call recorded."))
        else:
            messages.error(request, " ".join(_form_messages(form)))
        if member.caller_id not in (None, request.user.pk):
            list_url += f"?caller={member.caller_id}"
        return redirect(list_url)
    caller = User.objects.filter(pk=member.caller_id).first() or request.user
    fresh = call_list_for(user=request.user, campaign=campaign, caller=caller).filter(pk=member.pk)
    rows = _rows(campaign, fresh)
    if not rows:
        raise Http404
    context = _row_context(request, campaign, rows[0], None if recorded else form)
    return render(request, "campaigns/calls/_row.html", context)


def _form_messages(form: forms.Form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@capability_required(Capability.CAMPAIGN_EDIT)
def call_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Share a call campaign's calls not made yet among chosen staff, or give each to the
    customer's owner (the campaign's maker or the owner)."""
    campaign = _campaign(pk)
    maker_check(request.user, campaign)
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            given = call_list_assign(
                actor=request.user,
                campaign=campaign,
                callers=list(form.cleaned_data["callers"]),
                by_owner=form.cleaned_data["by_owner"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            users = User.objects.in_bulk(list(given))
            summary = ", ".join(f"{users[pk]}: {count}" for pk, count in given.items())
            messages.success(
                request,
                _("Calls given out: %(summary)s.") % {"summary": summary or _("none waiting")},
            )
            return redirect("campaigns:call_list", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "progress": call_progress(campaign)}
    return render(request, "campaigns/calls/call_assign.html", context)

"""The campaign pages: the list, a draft's settings and message, a campaign's page with
its members, and its launch, pause, resumption and end.

Views parse the request, call a selector or a service and render; a service's
``ValidationError`` goes back beside the field it names, a refused move of status as a
message on the campaign's page.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.campaigns import selectors, services
from clientela.campaigns.forms.campaigns import CampaignForm, MessageForm
from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMessage,
    CampaignStatus,
    MemberGroup,
    MemberState,
    SetAsideReason,
)
from clientela.campaigns.personalisation import VARIABLES
from clientela.campaigns.services._common import maker_is
from clientela.core.access import Capability
from clientela.core.errors import ConflictError
from clientela.core.pagination import CappedPaginator
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error


def _campaign(pk: int) -> Campaign:
    """The campaign, or 404."""
    try:
        return selectors.campaign_get(pk=pk)
    except Campaign.DoesNotExist as error:
        raise Http404 from error


def _draft_only(request, campaign: Campaign):
    """A redirect away from changing a launched campaign; else None."""
    if campaign.status == CampaignStatus.DRAFT:
        return None
    messages.error(request, _("A launched campaign cannot be changed; draft a new one."))
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_list(request):
    """Campaigns, the latest first, with status, channel, segment, dates and members;
    ``?status=`` keeps one status."""
    status = request.GET.get("status", "")
    if status not in CampaignStatus.values:
        status = ""
    page = CappedPaginator(
        selectors.campaign_rows(status=status), settings.CLIENTELA_PAGE_SIZE
    ).page_from(request.GET)
    context = {"page": page, "status": status, "statuses": CampaignStatus.choices}
    return render(request, "campaigns/campaigns/list.html", context)


def _form_page(request, form: CampaignForm, campaign: Campaign | None, **extra):
    context = {"form": form, "campaign": campaign, **extra}
    return render(request, "campaigns/campaigns/form.html", context)


@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_new(request):
    """Draft a campaign; ``?segment=`` picks its segment."""
    initial = CampaignForm.initial_new()
    if (segment := request.GET.get("segment", "")).isdigit():
        initial["segment"] = int(segment)
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            campaign = services.campaign_create(actor=request.user, **arguments)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Campaign “%(name)s” drafted.") % {"name": campaign.name})
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _form_page(request, form, None)


@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_edit(request, pk: int):
    """Change a draft campaign (its maker or the owner)."""
    campaign = _campaign(pk)
    if not maker_is(request.user, campaign):
        raise Http404
    if refused := _draft_only(request, campaign):
        return refused
    if request.method != "POST":
        form = CampaignForm(initial=CampaignForm.initial_for(campaign), user=request.user)
        return _form_page(request, form, campaign)
    form = CampaignForm(request.POST, user=request.user)
    conflict = False
    if form.is_valid():
        try:
            services.campaign_update(
                actor=request.user,
                campaign=campaign,
                version=form.cleaned_data["version"] or 0,
                **form.service_arguments(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            conflict = isinstance(error, ConflictError)
            campaign = _campaign(pk)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _form_page(request, form, campaign, conflict=conflict)


def _languages() -> list[tuple[str, str]]:
    """The message's versions: the one for everyone, then one per language of the app."""
    return [("", _("For everyone")), *((code, str(name)) for code, name in settings.LANGUAGES)]


@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_message(request, pk: int):
    """Write a draft campaign's message in ``?language=`` ("" for everyone), or delete
    that version (``delete``); the variables a message may use listed beside it."""
    campaign = _campaign(pk)
    if not maker_is(request.user, campaign):
        raise Http404
    if refused := _draft_only(request, campaign):
        return refused
    language = request.GET.get("language", "")
    if language not in dict(_languages()):
        raise Http404
    versions = {message.language: message for message in campaign.messages.all()}
    here = reverse("campaigns:campaign_message", args=[campaign.pk]) + (
        f"?language={language}" if language else ""
    )
    if request.method == "POST" and "delete" in request.POST:
        services.campaign_message_delete(actor=request.user, campaign=campaign, language=language)
        messages.success(request, _("That version of the message was deleted."))
        return redirect(here)
    current: CampaignMessage | None = versions.get(language)
    initial = (
        {"subject": current.subject, "body": current.body, "body_format": current.body_format}
        if current
        else {}
    )
    form = MessageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_message_set(
                actor=request.user, campaign=campaign, language=language, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Message saved."))
            return redirect(here)
    context = {
        "campaign": campaign,
        "form": form,
        "language": language,
        "tabs": [(code, name, code in versions) for code, name in _languages()],
        "current": current,
        "variables": list(VARIABLES.items()),
        "variable_example": "{{ first_name }}",
        "is_email": campaign.channel == CampaignChannel.EMAIL,
    }
    return render(request, "campaigns/campaigns/message.html", context)


def _member_counts(campaign: Campaign) -> dict:
    """The members by group, and the set-aside ones by reason."""
    counts = selectors.campaign_member_counts(campaign=campaign)
    return {
        "total": counts.total,
        "groups": [(MemberGroup(key).label, key, count) for key, count in counts.by_group.items()],
        "reasons": [(SetAsideReason(key).label, count) for key, count in counts.by_reason.items()],
    }


@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_detail(request, pk: int):
    """A campaign: its settings, its segment, its status and what may be done now, its
    members by group and reason, and its members page by page (``?group=&state=``)."""
    campaign = _campaign(pk)
    group = request.GET.get("group", "")
    group = group if group in MemberGroup.values else ""
    state = request.GET.get("state", "")
    state = state if state in MemberState.values else ""
    launched = campaign.status != CampaignStatus.DRAFT
    page = None
    if launched:
        members = selectors.campaign_member_list(
            user=request.user, campaign=campaign, group=group, state=state
        )
        page = CappedPaginator(members, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    context = {
        "campaign": campaign,
        "may_change": maker_is(request.user, campaign),
        "launched": launched,
        "counts": _member_counts(campaign) if launched else None,
        "languages": [
            message.get_language_display() or _("For everyone")
            for message in campaign.messages.all()
        ],
        "products": list(campaign.conversion_products.all()),
        "page": page,
        "group": group,
        "state": state,
        "groups": MemberGroup.choices,
        "states": MemberState.choices,
    }
    return render(request, "campaigns/campaigns/detail.html", context)


@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_launch(request, pk: int):
    """Launch a draft: first a page with the segment's count now and the share held out,
    then (POST) the launch; a refusal shows there."""
    campaign = _campaign(pk)
    if not maker_is(request.user, campaign):
        raise Http404
    if campaign.status != CampaignStatus.DRAFT:
        return redirect("campaigns:campaign_detail", pk=campaign.pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.campaign_launch(actor=request.user, campaign=campaign)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Campaign “%(name)s” launched.") % {"name": campaign.name})
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    count = selectors.segment_count(user=request.user, conditions=campaign.segment.conditions)
    refusals = services.launch_refusals(request.user, campaign, count)
    context = {
        "campaign": campaign,
        "count": count,
        "held_out": round(count * campaign.holdout_percent / 100),
        "errors": errors or [line for lines in refusals.values() for line in lines],
        "launchable": not refusals,
    }
    return render(
        request, "campaigns/campaigns/launch.html", context, status=422 if errors else 200
    )


def _status_change(request, pk: int, service, done: str):
    campaign = _campaign(pk)
    if not maker_is(request.user, campaign):
        raise Http404
    try:
        service(actor=request.user, campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"name": campaign.name})
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_pause(request, pk: int):
    """Pause a running campaign: its sending stops after the message under way."""
    return _status_change(request, pk, services.campaign_pause, _("Campaign “%(name)s” paused."))


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_resume(request, pk: int):
    """Go on with a paused campaign."""
    return _status_change(request, pk, services.campaign_resume, _("Campaign “%(name)s” resumed."))


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_finish(request, pk: int):
    """End a running or paused campaign: no more contacts."""
    return _status_change(request, pk, services.campaign_finish, _("Campaign “%(name)s” finished."))

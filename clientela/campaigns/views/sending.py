"""A campaign's e-mail seen before it goes and followed while it goes: the message a
recipient would get (with the ones before and after), a test sent to oneself, and the
progress of the sending, polled while it runs."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.campaigns.models import Campaign, CampaignStatus
from clientela.campaigns.selectors import campaign_progress as progress_count
from clientela.campaigns.selectors import (
    campaign_recipient_first,
    campaign_recipient_neighbours,
)
from clientela.campaigns.services.sending import campaign_preview as preview_make
from clientela.campaigns.services.sending import campaign_test_send as test_send
from clientela.core.access import Capability, user_can
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_find
from clientela.web.decorators import capability_required


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("segment"), pk=pk)


def _customer(request: HttpRequest, value: str | None) -> Customer | None:
    """The customer named by ``value`` (an id the user may see; else 404), or None."""
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    customer = customer_find(user=request.user, pk=int(value))
    if customer is None:
        raise Http404
    return customer


def _preview_url(campaign: Campaign, customer: Customer | None) -> str:
    url = reverse("campaigns:campaign_preview", args=[campaign.pk])
    return f"{url}?{urlencode({'customer': customer.pk})}" if customer else url


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The message one recipient would get: its subject, its HTML (in a sandboxed
    frame) and its text, with links to the recipients before and after."""
    campaign = _campaign(pk)
    customer = _customer(request, request.GET.get("customer")) or campaign_recipient_first(
        user=request.user, campaign=campaign
    )
    context: dict = {"campaign": campaign, "customer": customer, "problems": []}
    if customer is not None:
        try:
            context["message"] = preview_make(
                user=request.user, campaign=campaign, customer=customer
            )
        except ValidationError as refusal:
            context["problems"] = refusal.messages
        before, after = campaign_recipient_neighbours(
            user=request.user, campaign=campaign, customer=customer
        )
        context["before_url"] = _preview_url(campaign, before) if before else ""
        context["after_url"] = _preview_url(campaign, after) if after else ""
    context["can_test"] = user_can(request.user, Capability.CAMPAIGN_EDIT)
    return render(request, "campaigns/sending/preview.html", context)


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def campaign_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send oneself the message the chosen recipient would get; back to the preview."""
    campaign = _campaign(pk)
    customer = _customer(request, request.POST.get("customer"))
    try:
        test_send(actor=request.user, campaign=campaign, customer=customer)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request, _("The test was sent to %(email)s.") % {"email": request.user.email}
        )
    return redirect(_preview_url(campaign, customer))


@require_GET
@capability_required(Capability.CAMPAIGN_VIEW)
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """How far the sending has got (a fragment the page polls every 2 s while the
    campaign runs)."""
    campaign = _campaign(pk)
    progress = progress_count(campaign)
    return render(
        request,
        "campaigns/sending/_progress.html",
        {
            "campaign": campaign,
            "progress": progress,
            "running": campaign.status == CampaignStatus.RUNNING and progress.done < progress.total,
        },
    )

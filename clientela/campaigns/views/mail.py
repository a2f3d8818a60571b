"""A mail campaign's pages: what to print (the mail-merge spreadsheet, the address
labels, the letters) and "Mark as posted", which records the letters as contacts."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.campaigns.mailing import LABEL_SHEETS, PAPERS
from clientela.campaigns.models import Campaign, CampaignChannel, MemberGroup
from clientela.campaigns.services._common import maker_is
from clientela.campaigns.services.mail import (
    mail_labels,
    mail_letters,
    mail_parts,
    mail_posted,
    mail_rows,
)
from clientela.core.access import Capability
from clientela.core.validators import country_name
from clientela.sheets.downloads import Column, column_rows, file_name, table_download
from clientela.web.decorators import capability_required

MERGE_COLUMNS = (
    Column(gettext_lazy("Name"), lambda row: row.name),
    Column(gettext_lazy("Contact"), lambda row: row.contact),
    Column(gettext_lazy("Address line 1"), lambda row: row.street),
    Column(gettext_lazy("Address line 2"), lambda row: row.neighborhood),
    Column(gettext_lazy("Postal code"), lambda row: row.postal_code),
    Column(gettext_lazy("City"), lambda row: row.city),
    Column(gettext_lazy("Region"), lambda row: row.region),
    Column(gettext_lazy("Country"), lambda row: country_name(row.country) if row.country else ""),
    Column(gettext_lazy("Language"), lambda row: row.language),
    Column(gettext_lazy("Member id"), lambda row: row.member_id),
)


def _campaign(pk: int) -> Campaign:
    """The mail campaign ``pk``, or 404."""
    campaign = Campaign.objects.filter(pk=pk, channel=CampaignChannel.MAIL).first()
    if campaign is None:
        raise Http404
    return campaign


def _part(request: HttpRequest) -> int:
    """The part asked for in ``?part=`` (the first when absent); ValidationError on
    ``part`` for what is not a whole number."""
    part = request.GET.get("part", "1")
    if not part.isdecimal():
        raise ValidationError({"part": [_("Choose a part by its number.")]})
    return int(part)


def _refused(request: HttpRequest, campaign: Campaign, error: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(error.messages))
    return redirect("campaigns:mail", pk=campaign.pk)


@capability_required(Capability.CAMPAIGN_VIEW)
def mail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What a mail campaign prints and whether it is posted."""
    campaign = _campaign(pk)
    counts = {
        state: count
        for state, count in campaign.members.filter(group=MemberGroup.CONTACTED)
        .order_by()
        .values_list("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
    }
    context = {
        "campaign": campaign,
        "counts": counts,
        "sheets": LABEL_SHEETS,
        "papers": PAPERS,
        "manages": maker_is(request.user, campaign),
        "has_letter": campaign.messages.exists(),
        "parts": mail_parts(user=request.user, campaign=campaign),
    }
    return render(request, "campaigns/mail/mail.html", context)


@capability_required(Capability.CAMPAIGN_VIEW)
def mail_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """The members' names and delivery addresses as .xlsx (``?format=csv`` for CSV)."""
    campaign = _campaign(pk)
    try:
        rows = mail_rows(user=request.user, campaign=campaign)
    except ValidationError as error:
        return _refused(request, campaign, error)
    return table_download(
        column_rows(MERGE_COLUMNS, rows),
        name=f"mail-merge-{campaign.pk}",
        file_format=request.GET.get("format", "xlsx"),
    )


def _pdf(
    request: HttpRequest, pk: int, name: str, make: Callable[..., bytes], **options: str
) -> HttpResponse:
    """The PDF ``make`` gives for the mail campaign ``pk``'s part ``?part=`` as a download
    named after ``name``; back to the campaign's Letters page with the reason when it
    is refused."""
    campaign = _campaign(pk)
    try:
        part = _part(request)
        content = make(user=request.user, campaign=campaign, part=part, **options)
    except ValidationError as error:
        return _refused(request, campaign, error)
    name = f"{name}-{campaign.pk}" + (f"-part-{part}" if "part" in request.GET else "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=file_name(name, "pdf")
    )
    return response


@capability_required(Capability.CAMPAIGN_VIEW)
def mail_labels_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The members' address labels as a PDF, on ``?sheet=`` (A4 3 × 7 by default), of
    the part ``?part=`` (the first by default)."""
    return _pdf(request, pk, "labels", mail_labels, sheet=request.GET.get("sheet", "a4_21"))


@capability_required(Capability.CAMPAIGN_VIEW)
def mail_letters_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The personalised letters as a PDF, on ``?paper=`` (A4 by default), of the part
    ``?part=`` (the first by default)."""
    return _pdf(request, pk, "letters", mail_letters, paper=request.GET.get("paper", "a4"))


@require_POST
@capability_required(Capability.CAMPAIGN_EDIT)
def mail_posted_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the letters as posted: a contact on each customer's timeline."""
    campaign = _campaign(pk)
    try:
        done = mail_posted(actor=request.user, campaign=campaign)
    except ValidationError as error:
        return _refused(request, campaign, error)
    messages.success(
        request,
        _("%(sent)d letters recorded as posted; %(refused)d may not be sent now.") % done,
    )
    return redirect("campaigns:mail", pk=campaign.pk)

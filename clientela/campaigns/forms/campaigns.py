"""The campaign pages' forms: a campaign's settings and its message in one language."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.campaigns.models import (
    NAME_LENGTH,
    BodyFormat,
    Campaign,
    CampaignChannel,
    ConversionRule,
)
from clientela.campaigns.selectors import segment_list
from clientela.campaigns.services.campaigns import CAMPAIGN_FIELDS
from clientela.campaigns.services.messages import SUBJECT_LENGTH
from clientela.core.models import User
from clientela.orders.models import Product
from clientela.web.forms import (
    BootstrapFormMixin,
    BusinessDateField,
    LocalDecimalField,
    date_input,
)

# The fields the services take, as the form names them.
SERVICE_FIELDS = sorted(CAMPAIGN_FIELDS)


class CampaignForm(BootstrapFormMixin, forms.Form):
    """Whom, how, when, at what cost, with which offer, what counts as a conversion."""

    name = forms.CharField(label=_("Name"), max_length=NAME_LENGTH)
    objective = forms.CharField(
        label=_("Objective"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=None)  # type: ignore[arg-type]
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    starts_on = BusinessDateField(label=_("Starts"), widget=date_input())
    ends_on = BusinessDateField(label=_("Ends"), widget=date_input())
    currency = forms.CharField(label=_("Currency"), max_length=3)
    cost_fixed = LocalDecimalField(label=_("Fixed cost"), money=True, required=False)
    cost_per_contact = LocalDecimalField(label=_("Cost per contact"), money=True, required=False)
    offer = forms.CharField(
        label=_("Offer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the message offers; the message shows it as {{ offer }}."),
    )
    conversion_rule = forms.ChoiceField(
        label=_("Counts as a conversion"), choices=ConversionRule.choices
    )
    conversion_products = forms.ModelMultipleChoiceField(
        label=_("Conversion products"),
        queryset=Product.objects.order_by("-is_active", "name", "id"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6, "data-filter": _("Find a product")}),
        help_text=_("An order holding any of these counts."),
    )
    conversion_amount = LocalDecimalField(
        label=_("Conversion order amount"),
        money=True,
        required=False,
        help_text=_("An order of at least this amount counts."),
    )
    attribution_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=365
    )
    holdout_percent = forms.IntegerField(
        label=_("Hold-out (%)"),
        min_value=0,
        max_value=50,
        help_text=_("A share of the segment, drawn at random, is not contacted: the comparison."),
    )
    send_rate = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=1,
        max_value=60000,
        required=False,
        help_text=_("E-mail only: how fast the messages go out."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segment_list(user=user)  # type: ignore[attr-defined]
        self.fields["conversion_rule"].widget.attrs["data-conversion-rule"] = ""
        self.fields["channel"].widget.attrs["data-channel"] = ""

    @staticmethod
    def initial_new() -> dict:
        """What a new campaign starts with."""
        today = timezone.localdate()
        return {
            "starts_on": today,
            "ends_on": today + timedelta(days=30),
            "currency": settings.CLIENTELA_CURRENCY,
            "cost_fixed": Decimal(0),
            "cost_per_contact": Decimal(0),
            "attribution_days": 30,
            "holdout_percent": 10,
            "send_rate": 600,
            "channel": CampaignChannel.EMAIL,
        }

    @staticmethod
    def initial_for(campaign: Campaign) -> dict:
        """The form filled in with a campaign's settings."""
        initial = {name: getattr(campaign, name) for name in SERVICE_FIELDS}
        initial["segment"] = campaign.segment_id
        initial["conversion_products"] = list(
            campaign.conversion_products.values_list("pk", flat=True)
        )
        initial["version"] = campaign.version
        return initial

    def service_arguments(self) -> dict:
        """Keyword arguments for ``campaign_create``/``campaign_update``."""
        data = self.cleaned_data
        arguments = {name: data[name] for name in SERVICE_FIELDS}
        for name in ("cost_fixed", "cost_per_contact"):
            if arguments[name] is None:
                arguments[name] = 0
        if arguments["send_rate"] is None:
            arguments.pop("send_rate")
        arguments["conversion_products"] = list(arguments["conversion_products"])
        return arguments


class MessageForm(BootstrapFormMixin, forms.Form):
    """A campaign's message in one language: subject (e-mail), body and format."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_LENGTH, required=False)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"})
    )
    body_format = forms.ChoiceField(label=_("Format"), choices=BodyFormat.choices)

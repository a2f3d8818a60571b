"""The consolidation view's forms: how far back "not contacted" looks, and the one
action that plans a call with everyone on a list."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.web.forms import (
    BootstrapFormMixin,
    BusinessDateField,
    WholeNumberField,
    date_input,
    moment,
    time_input,
)


class ConsolidationFilterForm(forms.Form):
    """The days without contact the list counts, and whether to show only the
    salesperson's own customers."""

    days = WholeNumberField(label=_("No contact for (days)"), min_value=1, max_value=3650)
    mine = forms.BooleanField(label=_("Only my customers"), required=False)


class PlanCallsForm(BootstrapFormMixin, forms.Form):
    """A call with each customer of the list, on one day and time."""

    day = BusinessDateField(label=_("Day"), widget=date_input())
    at = forms.TimeField(label=_("Time"), initial=time(10, 0), widget=time_input())
    subject = forms.CharField(label=_("Subject"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate() + timedelta(days=1)

    def due_at(self) -> datetime:
        """When the calls are planned, in the business's time zone."""
        return moment(self.cleaned_data["day"], self.cleaned_data["at"])

"""Forms of the analytics pages: the score lists' filters and the ladder by hand."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.analytics.models import LadderStage, ParetoClass, RFMSegment
from clientela.analytics.wording import CHURN_LABELS
from clientela.web.forms import BootstrapFormMixin, BusinessDateField, LocalDecimalField


class ScoreFilterForm(forms.Form):
    """The score list's filters, read from the query string; wrong values are ignored."""

    segment = forms.ChoiceField(
        label=_("RFM segment"),
        required=False,
        choices=[("", _("Any segment")), *RFMSegment.choices],
    )
    pareto_class = forms.ChoiceField(
        label=_("Pareto class"),
        required=False,
        choices=[("", _("Any class")), *ParetoClass.choices],
    )
    stage = forms.ChoiceField(
        label=_("Ladder stage"),
        required=False,
        choices=[("", _("Any stage")), *LadderStage.choices],
    )
    churn = forms.ChoiceField(
        label=_("Still buying?"),
        required=False,
        choices=[("", _("Any customer")), *CHURN_LABELS.items()],
    )
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Default")),
            ("clv", _("Lifetime value")),
            ("value_at_stake", _("Value at stake")),
        ],
    )

    mine = forms.BooleanField(
        label=_("My customers only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    CHOICES = ("segment", "pareto_class", "stage", "churn", "order")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.CHOICES:
            self.fields[name].widget.attrs["class"] = "form-select"

    def selector_arguments(self, user=None) -> dict:
        """Keyword arguments for ``score_list``; a field with a wrong value counts as
        empty. "My customers only" needs the ``user`` who asks."""
        data = getattr(self, "cleaned_data", {})
        return {
            **{name: data.get(name) or "" for name in self.CHOICES},
            "owner": user if data.get("mine") else None,
        }

    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.fields if name != "order")


class LadderOverrideForm(BootstrapFormMixin, forms.Form):
    """Put a customer on a stage by hand: the stage and why (required)."""

    stage = forms.ChoiceField(label=_("Stage"), choices=LadderStage.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Runs keep the customer on this stage until it is cleared."),
    )


class LadderClearForm(BootstrapFormMixin, forms.Form):
    """Hand the customer back to the rules, with an optional note."""

    reason = forms.CharField(label=_("Note"), max_length=2000, required=False)


class CustomerWalletForm(BootstrapFormMixin, forms.Form):
    """A salesperson's estimate of the customer's share of wallet."""

    share_percent = LocalDecimalField(
        label=_("Share of wallet %"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    recorded_on = BusinessDateField(
        label=_("Estimated on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

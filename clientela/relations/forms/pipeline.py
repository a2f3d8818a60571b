"""Web forms of the pipeline: an opportunity, its moves, the list's, board's and
figures' filters, and the owner's settings (stages, lost reasons, contact limits).

Forms only parse what the user typed; the services validate and write, and their
``ValidationError`` is put back beside the field it names (``form_add_service_error``).
"""

from collections.abc import Sequence
from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_owner_choices, customer_pick
from clientela.orders.models import Product
from clientela.relations.models import (
    ContactChannel,
    LostReason,
    Opportunity,
    OpportunitySource,
    Stage,
)
from clientela.web.forms import (
    MISSING_VERSION,
    BootstrapFormMixin,
    BusinessDateField,
    LocalDecimalField,
    QuickSelect,
    WholeNumberField,
    date_input,
)


class MonthField(forms.DateField):
    """A month typed as ``YYYY-MM`` (a month input), read as its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Give a month as year and month, such as 2026-03.")}


def _active_products() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Products of interest"),
        queryset=Product.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Winning opens a draft order with one of each."),
    )


# --- one opportunity -------------------------------------------------------------------


class OpportunityForm(BootstrapFormMixin, forms.Form):
    """Open or change an opportunity. A new one picks its customer (a name, its number,
    or one of the suggestions) and its stage; an existing one changes stage by moving."""

    customer = forms.CharField(
        label=_("Customer"),
        max_length=200,
        help_text=_("Type a name (suggestions appear as you type) or the customer's number."),
    )
    customer_pick = WholeNumberField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    value = LocalDecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        money=True,
        min_value=0,
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    stage = forms.ModelChoiceField(label=_("Deal stage"), queryset=Stage.objects.none())
    probability = WholeNumberField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Blank: the stage's default."),
    )
    expected_close = BusinessDateField(
        label=_("Expected close"), required=False, widget=date_input()
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("Unknown")), *OpportunitySource.choices], required=False
    )
    products = _active_products()
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    FIELDS = (
        "title",
        "value",
        "currency",
        "probability",
        "expected_close",
        "owner",
        "source",
        "products",
        "next_step",
        "notes",
    )

    def __init__(
        self,
        *args,
        user: User,
        opportunity: Opportunity | None = None,
        customer: Customer | None = None,
        stages: Sequence[Stage] = (),
        lookup_url: str = "",
        **kwargs,
    ):
        self.user = user
        self.opportunity = opportunity
        super().__init__(*args, **kwargs)
        self.matches: list[Customer] = []
        # The active users, and the present owner who may no longer be.
        condition = Q(is_active=True)
        if opportunity is not None and opportunity.owner_id:
            condition |= Q(pk=opportunity.owner_id)
        self.fields["owner"].queryset = User.objects.filter(condition).order_by(
            "first_name", "username"
        )
        if opportunity is not None:
            kept = Product.objects.filter(
                pk__in=[product.pk for product in opportunity.products.all()]
            )
            self.fields["products"].queryset = (
                Product.objects.filter(is_active=True) | kept
            ).order_by("name")
            del self.fields["customer"]
            del self.fields["customer_pick"]
            del self.fields["stage"]
            self.fields["version"].required = True
            self.chosen_customer: Customer | None = opportunity.customer
            return
        del self.fields["version"]
        self.fields["stage"].queryset = Stage.objects.filter(
            pk__in=[stage.pk for stage in stages if not stage.is_closed]
        )
        self.fields["stage"].empty_label = None
        self.fields["customer"].widget.attrs.update(
            {
                "list": "customer-options",
                "autocomplete": "off",
                "hx-get": lookup_url,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#customer-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.chosen_customer = customer or self._typed_customer()

    def _typed_customer(self) -> Customer | None:
        if not self.is_bound:
            return None
        picked = self.data.get(self.add_prefix("customer_pick"), "")
        customer, self.matches = customer_pick(
            user=self.user,
            text=self.data.get(self.add_prefix("customer"), ""),
            picked=int(picked) if picked.isdigit() else None,
        )
        return customer

    @classmethod
    def initial_for(cls, opportunity: Opportunity) -> dict:
        """The form's values for an existing opportunity."""
        initial = {name: getattr(opportunity, name) for name in cls.FIELDS if name != "products"}
        initial["owner"] = opportunity.owner_id
        initial["products"] = [product.pk for product in opportunity.products.all()]
        initial["version"] = opportunity.version
        return initial

    def clean_customer(self):
        text = " ".join(self.cleaned_data["customer"].split())
        if self.chosen_customer is not None:
            return self.chosen_customer
        if self.matches:
            raise forms.ValidationError(
                ngettext_lazy(
                    "%(count)s customer matches “%(text)s”: pick one below.",
                    "%(count)s customers match “%(text)s”: pick one below.",
                    "count",
                ),
                params={"count": len(self.matches), "text": text},
            )
        raise forms.ValidationError(
            _("No customer matches “%(text)s”: type another name or the customer's number."),
            params={"text": text},
        )

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.opportunity is not None and version is None:
            raise forms.ValidationError(MISSING_VERSION)
        return version

    def service_arguments(self) -> dict:
        """Keyword arguments for ``opportunity_create`` / ``opportunity_update``."""
        data = self.cleaned_data
        arguments = {name: data[name] for name in self.FIELDS if name in data}
        if arguments.get("probability") is None:
            arguments.pop("probability", None)
        if "customer" in data:
            arguments["customer"] = data["customer"]
            arguments["stage"] = data["stage"]
        return arguments


class MoveForm(BootstrapFormMixin, forms.Form):
    """Move an open opportunity to a stage: lost asks why (and to whom, when the reason
    asks); won may open a draft order with the products of interest."""

    stage = forms.ModelChoiceField(label=_("Deal stage"), queryset=Stage.objects.none())
    version = WholeNumberField(widget=forms.HiddenInput)
    lost_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"),
        queryset=LostReason.objects.none(),
        required=False,
        empty_label=_("Choose a reason…"),
    )
    competitor = forms.CharField(
        label=_("Competitor"),
        max_length=200,
        required=False,
        help_text=_("Who won it, when the reason asks."),
    )
    open_order = forms.BooleanField(
        label=_("Open a draft order with the products of interest"), required=False
    )

    def __init__(self, *args, stages: list[Stage], reasons: list[LostReason], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pk__in=[s.pk for s in stages])
        self.fields["lost_reason"].queryset = LostReason.objects.filter(
            pk__in=[reason.pk for reason in reasons]
        )
        self.fields["version"].error_messages["required"] = MISSING_VERSION

    def service_arguments(self) -> dict:
        """Keyword arguments for ``opportunity_move`` (without the actor and record)."""
        data = self.cleaned_data
        return {
            "version": data["version"],
            "stage": data["stage"],
            "lost_reason": data.get("lost_reason"),
            "competitor": data.get("competitor", ""),
            "open_order": bool(data.get("open_order")),
        }


class ReopenForm(BootstrapFormMixin, forms.Form):
    """Reopen a won or lost opportunity on an open stage (blank: the one it left)."""

    stage = forms.ModelChoiceField(
        label=_("Reopen on"),
        queryset=Stage.objects.none(),
        required=False,
        empty_label=_("The stage it was on"),
    )
    version = WholeNumberField(widget=forms.HiddenInput)

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(
            pk__in=[stage.pk for stage in stages if not stage.is_closed]
        )


# --- lists, the board and the figures ----------------------------------------------------


STATUS_CHOICES = [
    ("", _("Any status")),
    ("open", _("Open deal")),
    ("won", _("Won deal")),
    ("lost", _("Lost deal")),
]
ORDERING_CHOICES = [
    ("close", _("Expected close, soonest first")),
    ("-value", _("Value, largest first")),
    ("value", _("Value, smallest first")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("title", _("Title, A to Z")),
]


def _owner_choices() -> list[tuple]:
    return [("", _("Anyone")), *((user.pk, str(user)) for user in customer_owner_choices())]


def _product_choices() -> list[tuple]:
    products = Product.objects.filter(is_active=True).order_by("name").only("pk", "name")
    return [("", _("Any product")), *((product.pk, product.name) for product in products)]


class BoardFilterForm(forms.Form):
    """The board's filters (owner, expected-close month, product of interest), from the
    query string; wrong values are ignored."""

    owner = forms.TypedChoiceField(
        label=_("Owner"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    close_month = MonthField(label=_("Expected close month"), required=False)
    product = forms.TypedChoiceField(
        label=_("Product of interest"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].choices = _owner_choices()
        self.fields["product"].choices = _product_choices()
        for field in self.fields.values():
            if not field.widget.is_hidden:
                select = isinstance(field.widget, forms.Select)
                field.widget.attrs["class"] = "form-select" if select else "form-control"

    def data_or_nothing(self) -> dict:
        """The valid filters (an invalid one is ignored)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def selector_arguments(self) -> dict:
        """Keyword arguments for ``board_columns`` and ``opportunity_list``."""
        data = self.data_or_nothing()
        owner = data.get("owner")
        return {
            "owner": User.objects.filter(pk=owner).first() if owner else None,
            "close_month": data.get("close_month"),
            "product": data.get("product"),
        }

    def is_filtered(self) -> bool:
        """Whether a filter narrows what is shown."""
        return any(self.selector_arguments().values())


class OpportunityFilterForm(BoardFilterForm):
    """The list's search box, filters and sort order, from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    stage = forms.TypedChoiceField(
        label=_("Deal stage"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=STATUS_CHOICES, widget=QuickSelect
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=ORDERING_CHOICES, widget=QuickSelect
    )

    field_order = ["q", "owner", "stage", "status", "close_month", "product", "ordering"]

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = {stage.pk: stage for stage in stages}
        self.fields["stage"].choices = [
            ("", _("Any deal stage")),
            *((stage.pk, str(stage)) for stage in stages),
        ]

    def selector_arguments(self) -> dict:
        """Keyword arguments for ``opportunity_list``."""
        data = self.data_or_nothing()
        return super().selector_arguments() | {
            "search": data.get("q", ""),
            "stage": self.stages.get(data.get("stage") or 0),
            "status": data.get("status", ""),
        }

    def chosen_ordering(self) -> str:
        """The chosen sort order (soonest expected close by default)."""
        return self.data_or_nothing().get("ordering") or "close"


PERIOD_CHOICES = [("month", _("Month")), ("quarter", _("Quarter"))]


class FiguresFilterForm(forms.Form):
    """The figures' period (from, to, by month or quarter) and owner."""

    date_from = BusinessDateField(label=_("Period from"), required=False, widget=date_input())
    date_to = BusinessDateField(label=_("Period until"), required=False, widget=date_input())
    period = forms.ChoiceField(
        label=_("Per"), required=False, choices=PERIOD_CHOICES, widget=QuickSelect
    )
    owner = forms.TypedChoiceField(
        label=_("Owner"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = _owner_choices()
        for name, field in self.fields.items():
            select = name in ("period", "owner")
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def chosen(self) -> dict:
        """``date_from``, ``date_to`` (the last twelve months by default), ``period``
        and ``owner`` (a user or None); a range given backwards is swapped."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or (date_to - timedelta(days=365)).replace(day=1)
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        owner = data.get("owner")
        return {
            "date_from": date_from,
            "date_to": date_to,
            "period": data.get("period") or "month",
            "owner": User.objects.filter(pk=owner).first() if owner else None,
        }


# --- the owner's settings ------------------------------------------------------------------


class _Named(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=80)
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=80, required=False)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=80, required=False)
    position = WholeNumberField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Lower numbers come first; blank: at the end."),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    FIELDS: tuple[str, ...] = ("name", "name_es", "name_ru", "position", "is_active")

    @classmethod
    def initial_for(cls, record: Stage | LostReason) -> dict:
        """The form's values for an existing record."""
        return {name: getattr(record, name) for name in cls.FIELDS}

    def service_arguments(self) -> dict:
        """Keyword arguments for the settings' services."""
        arguments = {name: self.cleaned_data[name] for name in self.FIELDS}
        if arguments.get("position") is None:
            arguments.pop("position")
        return arguments


class StageForm(_Named):
    """A stage of the pipeline: names, order, default probability, won or lost, in use."""

    probability = WholeNumberField(label=_("Default probability (%)"), min_value=0, max_value=100)
    is_won = forms.BooleanField(label=_("Won: a deal here is closed and won"), required=False)
    is_lost = forms.BooleanField(label=_("Lost: a deal here is closed and lost"), required=False)

    FIELDS = (*_Named.FIELDS, "probability", "is_won", "is_lost")


class LostReasonForm(_Named):
    """A reason a deal may be lost for: names, order, whether it asks the competitor."""

    asks_competitor = forms.BooleanField(label=_("Asks which competitor"), required=False)

    FIELDS = (*_Named.FIELDS, "asks_competitor")


class ContactLimitForm(BootstrapFormMixin, forms.Form):
    """At most N outbound contacts per customer in D days, overall or on one channel."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels together")), *ContactChannel.choices],
    )
    max_contacts = WholeNumberField(label=_("At most"), min_value=1, max_value=32767)
    days = WholeNumberField(label=_("In days"), min_value=1, max_value=366)

    def service_arguments(self) -> dict:
        """Keyword arguments for ``contact_limit_set``."""
        return dict(self.cleaned_data)

"""Web forms of the order book.

Forms only parse what the user typed; the services validate and write, and their
``ValidationError`` is put back on the form (or on the line it names) with
``form_add_service_error``.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from clientela.customers.models import Address, Customer
from clientela.customers.selectors import customer_pick
from clientela.orders.models import OrderStatus, PaymentMethod, Product
from clientela.orders.selectors import AGING_FILTERS, lead_time_period_check
from clientela.web.forms import (
    MISSING_VERSION,
    BootstrapFormMixin,
    BusinessDateField,
    LocalDecimalField,
    QuickSelect,
    WholeNumberField,
    date_input,
)


def _mine() -> forms.BooleanField:
    """A list filter's "My customers only" tick box."""
    return forms.BooleanField(
        label=_("My customers only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


# --- products -----------------------------------------------------------------------


class ProductForm(BootstrapFormMixin, forms.Form):
    """Add or edit a product; ``version`` carries the version the user opened."""

    sku = forms.CharField(
        label=_("SKU"), max_length=40, help_text=_("Your own code for it; stored in capitals.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    unit = forms.CharField(
        label=_("Unit"), max_length=20, initial="pza", help_text=_("Piece, kg, dozen…")
    )
    unit_price = LocalDecimalField(
        label=_("Unit price"), max_digits=14, decimal_places=4, money=True
    )
    lead_time_tolerance_days = WholeNumberField(
        label=_("Delivery tolerance (days)"),
        min_value=0,
        max_value=365,
        initial=1,
        help_text=_("Deliveries later than the due date by more than this are flagged."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; it is kept in the history."),
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    FIELDS = ("sku", "name", "category", "unit", "unit_price", "lead_time_tolerance_days")

    def __init__(self, *args, product: Product | None = None, **kwargs):
        self.product = product
        super().__init__(*args, **kwargs)
        self.fields["sku"].widget.attrs["autocapitalize"] = "characters"
        if product is None:
            del self.fields["version"]

    @classmethod
    def initial_for(cls, product: Product) -> dict:
        """The form's initial values for an existing product."""
        initial = {name: getattr(product, name) for name in cls.FIELDS}
        initial["version"] = product.version
        return initial

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.product is not None and version is None:
            raise forms.ValidationError(MISSING_VERSION)
        return version

    def service_arguments(self) -> dict:
        """Keyword arguments for ``product_create`` / ``product_update``."""
        arguments = {name: self.cleaned_data[name] for name in self.FIELDS}
        arguments["reason"] = self.cleaned_data.get("reason", "")
        return arguments


PRODUCT_STATE_CHOICES = [
    ("", _("Active")),
    ("inactive", _("No longer sold")),
    ("all", _("All products")),
]


class ProductFilterForm(forms.Form):
    """The product list's search box and filters, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False, widget=QuickSelect)
    state = forms.ChoiceField(
        label=_("Shown"), required=False, choices=PRODUCT_STATE_CHOICES, widget=QuickSelect
    )

    def __init__(self, *args, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Any category")),
            *((c, c) for c in categories),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name != "q" else "form-control"

    def selector_arguments(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        state = data.get("state", "")
        return {
            "search": data.get("q", ""),
            "category": data.get("category", ""),
            "active": {"": True, "inactive": False}.get(state),
        }

    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("q", "category", "state"))


# --- the order list -----------------------------------------------------------------


class OrderFilterForm(forms.Form):
    """The order list's search box and filters, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    customer = WholeNumberField(required=False, widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            ("open", pgettext_lazy("orders that are not closed", "Open")),
            ("to_deliver", pgettext_lazy("orders confirmed, not delivered", "To deliver")),
            *OrderStatus.choices,
        ],
        widget=QuickSelect,
    )
    owing = forms.BooleanField(label=_("Owing money only"), required=False)
    mine = _mine()
    due_from = BusinessDateField(label=_("Due from"), required=False, widget=date_input())
    due_to = BusinessDateField(label=_("Due until"), required=False, widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name == "status":
                field.widget.attrs["class"] = "form-select"
            elif name in ("owing", "mine"):
                field.widget.attrs["class"] = "form-check-input"
            elif name != "customer":
                field.widget.attrs["class"] = "form-control"

    def selector_arguments(self, user=None) -> dict:
        """Keyword arguments for the order list; invalid values are ignored. "My
        customers only" needs the ``user`` who asks."""
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q", ""),
            "customer": data.get("customer"),
            "owner": user if data.get("mine") else None,
            "status": data.get("status", ""),
            "owing": bool(data.get("owing")),
            "due_from": data.get("due_from"),
            "due_to": data.get("due_to"),
        }

    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(self.selector_arguments().values()) or bool(data.get("mine"))


class MoneyOwedFilterForm(forms.Form):
    """The money-owed page: per order or per customer, an aging bucket, the user's own
    customers, the sort; read from the query string, wrong values ignored."""

    by = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("orders", _("Per order")), ("customers", _("Per customer"))],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    aging = forms.ChoiceField(
        label=_("Days past due"),
        required=False,
        choices=[("", _("Any"))] + [(key, bucket.label) for key, bucket in AGING_FILTERS.items()],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("overdue", _("Most days overdue first")),
            ("-overdue", _("Fewest days overdue first")),
            ("balance", _("Largest balance first")),
        ],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )
    mine = _mine()
    customer = WholeNumberField(required=False, widget=forms.HiddenInput, min_value=1)

    def choices(self, user=None) -> dict:
        """``by`` ("orders" or "customers"), ``aging``, ``sort``, ``mine`` and
        ``customer`` (an id) as asked, or their defaults; ``owner`` is ``user`` when
        "My customers only" is ticked."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "by": data.get("by") or "orders",
            "aging": data.get("aging") or "",
            "sort": data.get("sort") or "overdue",
            "mine": bool(data.get("mine")),
            "owner": user if data.get("mine") else None,
            "customer": data.get("customer"),
        }


# --- one order ----------------------------------------------------------------------


class OrderForm(BootstrapFormMixin, forms.Form):
    """The head of a new or changed order; its lines are a ``LineFormSet`` beside it.

    An order that exists keeps its customer and order date; once confirmed, a change
    needs a reason.
    """

    customer = forms.CharField(
        label=_("Customer"),
        max_length=200,
        help_text=_("Type a name (suggestions appear as you type) or the customer's number."),
    )
    # The customer picked among the suggestions (or, without JavaScript, among the
    # customers a typed name matched); it wins over the typed text.
    customer_pick = WholeNumberField(required=False, widget=forms.HiddenInput)
    delivery_address = forms.TypedChoiceField(
        label=_("Delivery address"), required=False, coerce=int, empty_value=None
    )
    order_date = BusinessDateField(label=_("Order date"), widget=date_input())
    due_date = BusinessDateField(label=_("Due delivery date"), widget=date_input())
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        help_text=_("The order is confirmed: say why it changes; it is kept on its timeline."),
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args,
        user,
        customer: Customer | None = None,
        editing: bool = False,
        renegotiating: bool = False,
        **kwargs,
    ):
        self.user = user
        self.editing = editing
        super().__init__(*args, **kwargs)
        self.matches: list[Customer] = []  # the customers a typed name matched, to pick from
        if editing:
            del self.fields["customer"]
            del self.fields["customer_pick"]
            del self.fields["order_date"]
            self.fields["version"].required = True
        else:
            del self.fields["version"]
            self.fields["customer"].widget.attrs.update(
                {
                    # A combobox: suggestions as the user types (htmx), picked with the
                    # arrow keys and Enter (orders/order_form.js); without JavaScript a
                    # name or a number typed in is looked up when the form is sent.
                    "role": "combobox",
                    "aria-autocomplete": "list",
                    "aria-expanded": "false",
                    "aria-controls": "customer-options",
                    "autocomplete": "off",
                    "hx-get": reverse("orders:customer_lookup"),
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": "#customer-options",
                    "hx-swap": "innerHTML",
                    "hx-sync": "this:replace",
                }
            )
        if not renegotiating:
            del self.fields["reason"]
        self.chosen_customer = customer or self._typed_customer()
        self.fields["delivery_address"].choices = self.address_choices(self.chosen_customer)

    def _typed_customer(self) -> Customer | None:
        if not self.is_bound or "customer" not in self.fields:
            return None
        picked = self.data.get(self.add_prefix("customer_pick"), "")
        customer, self.matches = customer_pick(
            user=self.user,
            text=self.data.get(self.add_prefix("customer"), ""),
            picked=int(picked) if picked.isdigit() else None,
        )
        return customer

    @staticmethod
    def address_choices(customer: Customer | None) -> list[tuple]:
        """The customer's addresses, the default one first; blank = the default address."""
        choices: list[tuple] = [("", _("The customer's default address"))]
        if customer is not None:
            addresses = Address.objects.filter(customer=customer).order_by("-is_default", "id")
            choices += [(address.pk, str(address)) for address in addresses]
        return choices

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
        if text.removeprefix("#").isdigit():
            raise forms.ValidationError(
                _("There is no customer number %(number)s."),
                params={"number": text.removeprefix("#")},
            )
        raise forms.ValidationError(
            _("No customer matches “%(text)s”: type another name or the customer's number."),
            params={"text": text},
        )

    def clean_delivery_address(self):
        pk = self.cleaned_data.get("delivery_address")
        if pk is None or self.chosen_customer is None:
            return None
        address = Address.objects.filter(pk=pk, customer=self.chosen_customer).first()
        if address is None:
            raise forms.ValidationError(_("Choose one of the customer's addresses."))
        return address

    def service_arguments(self) -> dict:
        """Keyword arguments (without the lines) for ``order_create`` / ``order_update``."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("customer_pick", None)
        return data


class ProductSelect(forms.Select):
    """A product picker whose options carry the product's price as people read it
    (``data-price``), shown beside the line as soon as a product is picked."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.prices: dict[int, str] = {}  # set by LineForm

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        price = self.prices.get(getattr(value, "value", value))
        if price:
            option["attrs"]["data-price"] = price
        return option


class LineForm(BootstrapFormMixin, forms.Form):
    """One line of an order: a product, how many, at what price, with what discount."""

    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, widget=ProductSelect
    )
    quantity = LocalDecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    unit_price = LocalDecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=4,
        money=True,
        required=False,
        help_text=_("Blank: the product's price."),
    )
    discount_percent = LocalDecimalField(
        label=_("Discount %"),
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=0,
        max_value=100,
    )

    def __init__(
        self,
        *args,
        products: dict[int, Product],
        product_choices: list,
        prices: dict[int, str],
        **kwargs,
    ):
        self.products = products
        self.prices = prices
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = product_choices
        self.fields["product"].widget.prices = prices
        if "DELETE" in self.fields:
            self.fields["DELETE"].label = _("Remove")

    @property
    def price(self) -> str:
        """The price of the product the line holds, as people read it ("" without one)."""
        value = str(self["product"].value() or "")
        return self.prices.get(int(value), "") if value.isdigit() else ""

    def clean_product(self):
        pk = self.cleaned_data.get("product")
        if pk is None:
            return None
        if pk not in self.products:
            raise forms.ValidationError(_("Choose a product."))
        return self.products[pk]

    def line(self) -> dict:
        """The line as ``order_create`` takes it."""
        data = self.cleaned_data
        line = {"product": data["product"], "quantity": data["quantity"]}
        if data.get("unit_price") is not None:
            line["unit_price"] = data["unit_price"]
        line["discount_percent"] = data.get("discount_percent") or Decimal(0)
        return line


class BaseLineFormSet(forms.BaseFormSet):
    """The lines of an order."""

    def chosen_lines(self) -> list[tuple[LineForm, dict]]:
        """The filled-in, valid, not removed lines, each with the form it came from."""
        chosen = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not form.is_valid():
                continue
            chosen.append((form, form.line()))
        return chosen

    def uncounted_lines(self, refused: Mapping[str, list]) -> list[str]:
        """Why each filled-in, not removed line of a sent form is left out of the running
        total: its own error when it does not read, else the one ``order_lines_total``
        gave (``refused``, keyed by its place among ``priced_lines``). "Line 2 is not
        counted: Quantity: Enter a number."."""
        if not self.is_bound:
            return []
        problems: dict[int, tuple[forms.Form, str, str]] = {}
        for number, form in enumerate(self.forms, start=1):
            if (
                not form.has_changed()
                or form.is_valid()
                or form.data.get(form.add_prefix("DELETE"))
            ):
                continue
            field, errors = next(iter(form.errors.items()))
            problems[number] = (form, field, str(errors[0]))
        chosen = [form for form, _line in self.chosen_lines()]
        for key, messages in refused.items():
            _lines, place, field = [*key.split("."), "", ""][:3]
            if place.isdigit() and int(place) < len(chosen):
                form = chosen[int(place)]
                problems.setdefault(self.forms.index(form) + 1, (form, field, str(messages[0])))
        notes = []
        for number, (form, field, message) in sorted(problems.items()):
            label = form.fields[field].label if field in form.fields else None
            notes.append(
                _("Line %(number)d is not counted: %(problem)s")
                % {"number": number, "problem": f"{label}: {message}" if label else message}
            )
        return notes

    def priced_lines(self) -> list[dict]:
        """The lines as ``order_lines_total`` takes them: a sent form's chosen lines, an
        unsent one's initial lines (an order being changed)."""
        if self.is_bound:
            self.is_valid()
            return [line for _form, line in self.chosen_lines()]
        products = self.form_kwargs["products"]
        return [
            {**line, "product": products[line["product"]]}
            for line in self.initial or []
            if line.get("product") in products
        ]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=200, validate_max=True
)


class TransitionForm(BootstrapFormMixin, forms.Form):
    """Move an order to its next status: a date for "ready" and "delivered", a reason to cancel."""

    on = BusinessDateField(label=_("On"), required=False, widget=date_input())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    version = WholeNumberField(widget=forms.HiddenInput)

    def __init__(self, *args, to: str, **kwargs):
        self.to = to
        super().__init__(*args, **kwargs)
        if to in (OrderStatus.READY, OrderStatus.DELIVERED):
            self.fields["on"].label = (
                _("Production finished on") if to == OrderStatus.READY else _("Delivered on")
            )
            self.fields["on"].required = True
            self.fields["on"].initial = timezone.localdate()
        else:
            del self.fields["on"]
        if to == OrderStatus.CANCELLED:
            self.fields["reason"].label = _("Why is it cancelled?")
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]


class ActualDatesForm(BootstrapFormMixin, forms.Form):
    """Correct the dates production finished and the order was delivered."""

    production_finished_on = BusinessDateField(
        label=_("Production finished"), required=False, widget=date_input()
    )
    delivered_on = BusinessDateField(label=_("Delivered"), required=False, widget=date_input())
    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)
    version = WholeNumberField(widget=forms.HiddenInput)

    def __init__(self, *args, recorded: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("production_finished_on", "delivered_on"):
            if name not in recorded:
                del self.fields[name]
            else:
                self.fields[name].required = True

    def dates(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("production_finished_on", "delivered_on")
            if name in self.fields
        }


class PaymentForm(BootstrapFormMixin, forms.Form):
    """Record money received for an order."""

    amount = LocalDecimalField(label=_("Amount"), max_digits=14, decimal_places=2, money=True)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    paid_on = BusinessDateField(label=_("Paid on"), widget=date_input())
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Receipt, transfer or card voucher number."),
    )
    leaves_credit = forms.BooleanField(
        label=_("The excess stays as a credit for the customer"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class LeadTimeFilterForm(forms.Form):
    """The lead-time page's period and grouping, read from the query string."""

    GROUPS = (
        ("product", _("By product")),
        ("customer", _("By customer")),
        ("month", _("By month")),
    )

    date_from = BusinessDateField(label=_("Delivered from"), required=False, widget=date_input())
    date_to = BusinessDateField(label=_("Delivered until"), required=False, widget=date_input())
    group_by = forms.ChoiceField(
        label=_("Group"),
        choices=GROUPS,
        required=False,
        widget=QuickSelect(attrs={"class": "form-select"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to"):
            try:
                lead_time_period_check(data["date_from"], data["date_to"])
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def period(self) -> tuple[date, date, str]:
        """The period asked for (default, and for a period that ends before it starts:
        the last twelve months) and the grouping."""
        data = self.cleaned_data if self.is_valid() else {}
        date_to = data.get("date_to") or timezone.localdate()
        date_from = data.get("date_from") or date_to - timedelta(days=365)
        return date_from, date_to, data.get("group_by") or "product"


class LateOrderFilterForm(LeadTimeFilterForm):
    """The late-orders list: the lead-time period, narrowed to a product, customer or month."""

    product = WholeNumberField(required=False, min_value=1, widget=forms.HiddenInput)
    customer = WholeNumberField(required=False, min_value=1, widget=forms.HiddenInput)
    month = BusinessDateField(
        required=False, input_formats=["%Y-%m", "%Y-%m-%d"], widget=forms.HiddenInput
    )
    mine = _mine()

    def narrowing(self) -> dict:
        """``product`` (id), ``customer`` (id) and ``month`` as given, when valid, and
        ``mine`` (the user's own customers only)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            **{key: data.get(key) for key in ("product", "customer", "month")},
            "mine": bool(data.get("mine")),
        }

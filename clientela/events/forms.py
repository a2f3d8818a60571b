"""Web forms of event sales.

Forms only parse what the user typed; the services validate and write, and their
``ValidationError`` is put back on the form with ``form_add_service_error`` (the
daily-sales grid takes it the same way, each message on the cell it concerns).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clientela.events.models import Event, EventKind, EventProduct
from clientela.orders.models import QUANTITY, Product
from clientela.orders.selectors import product_list
from clientela.web.forms import (
    BootstrapFormMixin,
    BusinessDateField,
    LocalDecimalField,
    QuickSelect,
    WholeNumberField,
    typed_number,
)

DATE_INPUT = {"type": "date"}


class EventFilterForm(BootstrapFormMixin, forms.Form):
    """The list's filters: kind, a part of the location, the year it started."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Any kind")), *EventKind.choices],
        required=False,
        widget=QuickSelect,
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    year = forms.TypedChoiceField(
        label=_("Year"), coerce=int, empty_value=None, required=False, widget=QuickSelect
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Any year")), *((y, str(y)) for y in years)]
        self.fields["location"].widget.attrs.update(
            {"type": "search", "autocomplete": "off", "enterkeyhint": "search"}
        )

    def selector_arguments(self) -> dict:
        """What ``selectors.event_list`` takes; a value that did not parse is left out."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            "kind": data.get("kind") or "",
            "location": (data.get("location") or "").strip(),
            "year": data.get("year"),
        }

    def is_filtered(self) -> bool:
        return any(self.selector_arguments().values())


class EventForm(BootstrapFormMixin, forms.Form):
    """Create or edit an event; ``version`` carries the version the user opened."""

    FIELDS = ("name", "kind", "location", "start_date", "duration_days", "notes")

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    location = forms.CharField(
        label=_("Location"),
        max_length=200,
        help_text=_("Write it the same way each time: plans compare events by location."),
    )
    start_date = BusinessDateField(
        label=_("First day"), widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")
    )
    duration_days = WholeNumberField(label=_("Days"), min_value=1, initial=1)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; it is kept in the history."),
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duration_days"].widget.attrs["inputmode"] = "numeric"
        if event is None:
            del self.fields["reason"]
            del self.fields["version"]

    @classmethod
    def initial_for(cls, event: Event) -> dict:
        """The form's initial values for an existing event."""
        return {name: getattr(event, name) for name in cls.FIELDS} | {"version": event.version}

    def service_arguments(self) -> dict:
        """Keyword arguments for ``event_create`` / ``event_update``."""
        arguments = {name: self.cleaned_data[name] for name in self.FIELDS}
        if "reason" in self.fields:
            arguments["reason"] = self.cleaned_data["reason"]
        return arguments

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if version is None:
            raise forms.ValidationError(
                _("The form is missing the record's version; reload the page.")
            )
        return version


class EventItemForm(BootstrapFormMixin, forms.Form):
    """A product's line at an event: how much is brought, expected to sell, and its price."""

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        empty_label=_("Choose a product…"),
        widget=QuickSelect,
    )
    quantity_brought = LocalDecimalField(label=_("Brought"), **QUANTITY)
    quantity_expected = LocalDecimalField(label=_("Expected to sell"), **QUANTITY)
    unit_price = LocalDecimalField(
        label=_("Price"),
        max_digits=14,
        decimal_places=4,
        money=True,
        required=False,
        help_text=_("Empty: the product's price for a new line, the line's own for a change."),
    )

    def __init__(self, *args, current: EventProduct | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        products = product_list(active=None).filter(
            Q(is_active=True) | Q(pk=current.product_id if current else None)
        )
        self.fields["product"].queryset = products

    @classmethod
    def initial_for(cls, item: EventProduct) -> dict:
        return {
            "product": item.product_id,
            "quantity_brought": item.quantity_brought,
            "quantity_expected": item.quantity_expected,
            "unit_price": item.unit_price,
        }

    def service_arguments(self) -> dict:
        """Keyword arguments for ``event_item_set`` (the event and actor aside)."""
        return {name: self.cleaned_data[name] for name in self.fields}


class PlanForm(BootstrapFormMixin, forms.Form):
    """The shape of an event not yet created, to plan it from similar past ones."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    location = forms.CharField(label=_("Location"), max_length=200)
    start_date = BusinessDateField(
        label=_("First day"), widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")
    )
    duration_days = WholeNumberField(label=_("Days"), min_value=1, max_value=366, initial=1)


# --- the daily-sales grid -------------------------------------------------------------


@dataclass
class SaleCell:
    """One input of the grid: what sold of ``item`` on ``day``."""

    item: EventProduct
    day: date
    name: str
    value: str
    recorded: Decimal | None
    posted: bool = False
    upcoming: bool = False  # the day has not come: nothing can be recorded yet
    errors: list[str] = field(default_factory=list)

    # One number: every message about the cell is shown in it (``form_add_service_error``).
    fields: ClassVar[Mapping[str, object]] = MappingProxyType({})

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    def add_error(self, field: str | None, error) -> None:
        """Show a service's message in the cell."""
        self.errors.extend(ValidationError(error).messages)


@dataclass
class SaleRow:
    item: EventProduct
    cells: list[SaleCell]

    @property
    def sold(self) -> Decimal:
        """What is recorded as sold so far, over every day of the event."""
        return sum((sale.quantity for sale in self.item.sales.all()), Decimal(0))


class SalesGrid:
    """One row per product, one number box per day (typed the local way); posted cells become sale records.

    A cell left out of the POST (a day not shown) is not touched; a cell posted empty
    where nothing is recorded is skipped, and one posted empty where a sale is recorded
    is refused (type 0 to say nothing sold). ``version`` is the event's sales version
    the grid is shown at; a posted grid carries the one it was opened at (``None``
    when it is missing or not a number).
    """

    _number = LocalDecimalField(required=False, **QUANTITY)
    # No fields of its own: a service's message about no one cell is about the grid.
    fields: ClassVar[Mapping[str, object]] = MappingProxyType({})

    def __init__(self, items: list[EventProduct], days: list[date], *, version: int, data=None):
        self.days = days
        self.version: int | None = version
        self.conflict = False
        self.other_errors: list[str] = []  # a service's messages about no one cell
        if data is not None:
            posted = (data.get("version") or "").strip()
            self.version = int(posted) if posted.isdigit() else None
        self.rows = []
        today = timezone.localdate()
        for item in items:
            recorded = {sale.sold_on: sale.quantity for sale in item.sales.all()}
            cells = []
            for day in days:
                name = f"sale-{item.pk}-{day.isoformat()}"
                cell = SaleCell(
                    item=item,
                    day=day,
                    name=name,
                    value=typed_number(recorded.get(day)),
                    recorded=recorded.get(day),
                    upcoming=day > today,
                )
                if data is not None and name in data:
                    cell.value = data[name].strip()
                    cell.posted = True
                cells.append(cell)
            self.rows.append(SaleRow(item=item, cells=cells))

    @property
    def cells(self) -> list[SaleCell]:
        return [cell for row in self.rows for cell in row.cells]

    @property
    def has_open_days(self) -> bool:
        """Whether some day of the grid has come, so that sales can be typed in."""
        return any(not cell.upcoming for cell in self.cells)

    @property
    def has_errors(self) -> bool:
        return any(cell.errors for cell in self.cells)

    def add_error(self, field: str | None, error) -> None:
        """Keep a service's message about no one cell, to say above the grid."""
        self.other_errors.extend(ValidationError(error).messages)

    def changes(self) -> list[tuple[SaleCell, Decimal]]:
        """The posted cells whose quantity differs from the one recorded, decreases first.

        Decreases go first so that moving a sale from one day to another never trips
        the "no more than was brought" check half-way. Cells that do not parse get
        their error and are left out.
        """
        changed = []
        for cell in self.cells:
            if not cell.posted:
                continue
            try:
                quantity = self._number.clean(cell.value)
            except ValidationError as error:
                cell.errors.extend(error.messages)
                continue
            if quantity is None:
                if cell.recorded is not None:
                    cell.errors.append(
                        gettext("A sale is recorded for this day; type 0 if nothing sold.")
                    )
                continue
            if quantity != cell.recorded:
                changed.append((cell, quantity))
        return sorted(changed, key=lambda change: change[1] - (change[0].recorded or 0))

"""Form helpers shared by every app's web forms."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import flatatt
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from clientela.core.errors import ConflictError
from clientela.core.locale import decimal_from_text
from clientela.core.money import currency_decimals
from clientela.core.validators import LARGEST_WHOLE_NUMBER, business_date_check


class WholeNumberField(forms.IntegerField):
    """A whole number a database holds: beyond 64 bits it is a field error, not a fault."""

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        super().__init__(
            min_value=-LARGEST_WHOLE_NUMBER if min_value is None else min_value,
            max_value=LARGEST_WHOLE_NUMBER if max_value is None else max_value,
            **kwargs,
        )


# Said when a form of a versioned record comes back without the version it was drawn at.
MISSING_VERSION = _("The form is missing the record's version; reload the page.")


def date_input() -> forms.DateInput:
    """The browser's date picker, its value written as it reads it (ISO, whatever the
    language): a localised value would show an empty picker."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_input() -> forms.TimeInput:
    """The browser's time picker, its value written as it reads it (``HH:MM``)."""
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def moment(day: date, at: time) -> datetime:
    """The aware date and time of ``day`` at ``at`` in the business's time zone."""
    return timezone.make_aware(datetime.combine(day, at))


class BusinessDateField(forms.DateField):
    """A date in the business years (``business_date_check``): filters' dates too."""

    default_validators = [business_date_check]


class ErrorTarget(Protocol):
    """What a service error can be shown on: a form, or a part of a page that takes
    errors the way a form does (the daily-sales grid and its cells)."""

    @property
    def fields(self) -> Mapping[str, Any]: ...

    def add_error(self, field: str | None, error: Any) -> None: ...


def _row_field(
    key: str, rows_key: str, rows: Sequence[ErrorTarget]
) -> tuple[ErrorTarget, str] | None:
    """The row and field a key ``<rows_key>.<n>.<field>`` names, or None for any other key."""
    parts = key.split(".")
    if not rows_key or len(parts) != 3 or parts[0] != rows_key or not parts[1].isdigit():
        return None
    index = int(parts[1])
    return (rows[index], parts[2]) if index < len(rows) else None


def form_add_service_error(
    form: ErrorTarget,
    error: ValidationError | ConflictError,
    *,
    rows_key: str = "",
    rows: Sequence[ErrorTarget] = (),
    formset: forms.BaseFormSet | None = None,
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Show an error raised by a service where the user typed what it is about.

    A key the form has a field for goes beside that field; ``renamed`` maps a key of
    the service to the form's field (``{"delivered_on": "on"}``). A nested key
    ``<rows_key>.<n>.<field>`` (``lines.3.quantity``) goes to ``rows[n]``, the row the
    service was given n-th (a formset's forms in that order): beside its field, or on
    top of it for a field it lacks; ``<rows_key>`` alone goes on top of ``formset``.
    Every other key, an error without keys and a ConflictError (a stale version) are
    errors of the whole form. The form keeps what the user typed.
    """
    if isinstance(error, ConflictError):
        form.add_error(None, str(error))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    renamed = renamed or {}
    for key, errors in error.error_dict.items():
        if rows_key and key == rows_key and formset is not None:
            formset.non_form_errors()  # runs full_clean once, so the list exists
            formset._non_form_errors.extend(ValidationError(errors).messages)
            continue
        if (row_field := _row_field(key, rows_key, rows)) is not None:
            row, field = row_field
            row.add_error(field if field in row.fields else None, errors)
            continue
        field = renamed.get(key, key)
        form.add_error(
            field if field in form.fields and field != NON_FIELD_ERRORS else None, errors
        )


class QuickSelect(forms.Select):
    """A ``<select>`` written out in Python instead of one template per option.

    For filters drawn on every list page, whose choices (cities, owners) may run into
    the hundreds; same markup as Django's Select without option groups.
    """

    def render(self, name, value, attrs=None, renderer=None):
        """The select element with its options, the current value(s) selected."""
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def typed_number(value: Decimal | None, *, min_decimals: int = 0) -> str:
    """A number as it is shown for typing over: the locale's separators, no trailing
    zeros past ``min_decimals`` (``12``, ``2.5``, ``1,234.56`` in es-MX; ``1.234,56`` in
    es-ES; ``100.00`` for money); "" for None."""
    if value is None:
        return ""
    value = value.normalize()
    if -value.as_tuple().exponent < min_decimals:
        value = value.quantize(Decimal(1).scaleb(-min_decimals))
    return formats.localize_input(value)


class LocalDecimalField(forms.DecimalField):
    """A number typed and shown the page's locale's way (1,234.56 in es-MX, 1.234,56 in
    es-ES, 1 234,56 in ru-RU), in a text box with a decimal keypad: a number input would
    show and take only the browser's own way. A number written another way (``1,5`` in
    es-MX) is refused with an example of the local way, never misread."""

    default_error_messages = {
        "invalid": _("Type a number the way it is written here, such as %(example)s."),
    }

    def __init__(self, *, money: bool = False, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(localize=True, **kwargs)
        self.money = money

    def prepare_value(self, value):
        """A money amount shows its currency's cents (``100.00``), any other number no
        trailing zeros."""
        if not isinstance(value, Decimal):
            return value
        decimals = currency_decimals(settings.CLIENTELA_CURRENCY) if self.money else 0
        return typed_number(value, min_decimals=decimals)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return decimal_from_text(str(value))
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"example": typed_number(Decimal("1234.56"))},
            ) from None


class BootstrapFormMixin:
    """Give each widget Bootstrap's classes, and ``is-invalid`` when its field has errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            elif isinstance(widget, forms.RadioSelect):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        self._mark_invalid()

    def add_error(self, field, error):
        super().add_error(field, error)
        self._mark_invalid()

    def _mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join([*classes, "is-invalid"])
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class LoginForm(BootstrapFormMixin, auth_forms.AuthenticationForm):
    """Django's sign-in form with Bootstrap's look."""


class PasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    """Django's change-your-password form with Bootstrap's look."""

"""Shared form pieces."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from clientela.core.errors import ConflictError
from clientela.web.forms import BootstrapFormMixin, QuickSelect, form_add_service_error


class CityForm(forms.Form):
    city = forms.ChoiceField(
        required=False,
        choices=[("", "Any city"), ("Puebla", "Puebla"), ("<b>", "Tom & Jerry's <b>")],
        widget=QuickSelect(attrs={"class": "form-select"}),
    )


def test_quick_select_marks_the_chosen_option_and_escapes_every_label():
    html = str(CityForm({"city": "Puebla"})["city"])

    assert html.startswith("<select ") and html.endswith("</select>")
    assert 'name="city"' in html and 'id="id_city"' in html and 'class="form-select"' in html
    assert '<option value="Puebla" selected>Puebla</option>' in html
    assert '<option value="" >' not in html and '<option value="">Any city</option>' in html
    assert "&lt;b&gt;" in html and "Tom &amp; Jerry&#x27;s" in html and "<b>" not in html


def test_quick_select_with_nothing_chosen_selects_the_empty_choice():
    html = str(CityForm({})["city"])

    assert '<option value="" selected>Any city</option>' in html
    assert html.count(" selected") == 1


# --- service errors on a form -----------------------------------------------------------


class OrderLineForm(BootstrapFormMixin, forms.Form):
    product = forms.CharField()
    quantity = forms.IntegerField()


class OrderForm(BootstrapFormMixin, forms.Form):
    notes = forms.CharField(required=False)
    on = forms.DateField(required=False)


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=0)


def _typed_order():
    """An order form and its three typed lines, the second one removed, as a view has
    them once they read: the service is given the first and the third line."""
    form = OrderForm({"notes": "Urgente", "on": "2024-06-10"})
    formset = OrderLineFormSet(
        {
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            **{
                f"lines-{n}-product": product for n, product in enumerate(["Bolillo", "", "Concha"])
            },
            **{f"lines-{n}-quantity": quantity for n, quantity in enumerate(["5", "", "7"])},
        },
        prefix="lines",
    )
    assert form.is_valid() and formset.forms[0].is_valid() and formset.forms[2].is_valid()
    return form, formset, [formset.forms[0], formset.forms[2]]


def _shown(bound_field) -> tuple[list[str], bool]:
    """The messages shown beside a field, and whether its input is marked invalid."""
    return list(bound_field.errors), 'aria-invalid="true"' in str(bound_field)


def test_a_nested_key_lands_beside_the_field_of_the_line_the_service_was_given():
    form, formset, given = _typed_order()

    form_add_service_error(
        form,
        ValidationError(
            {
                "lines.1.quantity": ["Only 3 are left."],
                "lines.0.unit_price": ["The price cannot be negative."],
            }
        ),
        rows_key="lines",
        rows=given,
        formset=formset,
    )

    concha = formset.forms[2]
    assert _shown(concha["quantity"]) == (["Only 3 are left."], True)
    assert concha["quantity"].value() == "7"  # what was typed stays
    assert list(formset.forms[0].non_field_errors()) == ["The price cannot be negative."]
    assert formset.forms[0].errors.keys() == {"__all__"} and not formset.forms[1].errors
    assert not form.errors and not formset.non_form_errors()


def test_the_key_of_the_lines_alone_is_said_above_the_lines():
    form, formset, given = _typed_order()

    form_add_service_error(
        form,
        ValidationError({"lines": ["An order needs at least one line."]}),
        rows_key="lines",
        rows=given,
        formset=formset,
    )

    assert list(formset.non_form_errors()) == ["An order needs at least one line."]
    assert not form.errors and not any(line.errors for line in formset.forms)


def test_keys_the_form_has_no_field_for_are_errors_of_the_whole_form_in_order():
    form, formset, given = _typed_order()

    form_add_service_error(
        form,
        ValidationError(
            {
                "notes": ["Too long."],
                "status": ["A delivered or cancelled order can no longer be changed."],
                "lines.2.quantity": ["Only 3 are left."],  # no third line was given
                "lines.0": ["Not a line's field."],
                "delivered_on": ["This date cannot be in the future."],
            }
        ),
        rows_key="lines",
        rows=given,
        formset=formset,
    )

    assert list(form.non_field_errors()) == [
        "A delivered or cancelled order can no longer be changed.",
        "Only 3 are left.",
        "Not a line's field.",
        "This date cannot be in the future.",
    ]
    assert _shown(form["notes"]) == (["Too long."], True)
    assert _shown(form["on"]) == ([], False)
    assert not any(line.errors for line in formset.forms) and not formset.non_form_errors()


def test_a_renamed_key_lands_beside_the_form_field_it_is_called_there():
    form, _formset, _given = _typed_order()

    form_add_service_error(
        form,
        ValidationError({"delivered_on": ["This date cannot be in the future."]}),
        renamed={"delivered_on": "on"},
    )

    assert _shown(form["on"]) == (["This date cannot be in the future."], True)
    assert not form.non_field_errors()


@pytest.mark.parametrize(
    "error",
    [ConflictError(4), ValidationError("This event is cancelled already.")],
    ids=["stale version", "no key"],
)
def test_a_conflict_or_an_error_without_keys_is_an_error_of_the_whole_form(error):
    form, formset, given = _typed_order()

    form_add_service_error(form, error, rows_key="lines", rows=given, formset=formset)

    message = str(ConflictError()) if isinstance(error, ConflictError) else error.messages[0]
    assert list(form.non_field_errors()) == [message]
    assert form.errors.keys() == {"__all__"}
    assert form["notes"].value() == "Urgente"  # what was typed stays
    assert not any(line.errors for line in formset.forms) and not formset.non_form_errors()

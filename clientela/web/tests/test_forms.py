"""Shared form pieces."""

from django import forms

from clientela.web.forms import QuickSelect


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

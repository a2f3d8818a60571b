"""The owner's e-mail templates: refused at save with the line when they do not parse or
ask for what they may not; customer fields escaped in every message, in HTML and in
Markdown; nothing outside the listed variables reachable."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clientela.campaigns.personalisation import (
    VARIABLES,
    message_render,
    message_text,
    template_check,
)

VALUES = {name: "" for name in VARIABLES} | {
    "name": "Café Luna",
    "first_name": "Ana",
    "city": "Puebla",
    "offer": "10 % en roscas",
    "unsubscribe_url": "https://crm.example.mx/u/abc",
}
FOOTER = "Para no recibir más correos: https://crm.example.mx/u/abc"


def _refusal(text: str) -> str:
    with pytest.raises(ValidationError) as refused:
        template_check(text, "body")
    return " ".join(refused.value.message_dict["body"])


def test_a_template_that_does_not_parse_is_refused_with_its_line():
    assert _refusal("Hola {{ first_name }},\n\n{% if city %}Te esperamos").startswith("Line 3")
    with translation.override("es"):
        refused = _refusal("Hola {{ first_name }")
    assert refused.startswith("Línea 1:") and "marcas {{ … }} o {% … %}" in refused


def test_an_unknown_variable_is_refused_with_its_line_and_the_list():
    message = _refusal("Hola {{ first_name }},\ntu saldo: {{ balance }}")

    assert message.startswith("Line 2:")
    assert "“balance” is not a variable" in message and "first_name" in message


def test_a_template_cannot_reach_another_template_or_python():
    assert "another template" in _refusal('{% include "base.html" %}')
    template_check("{% for word in name.split() %}{{ word }} {% endfor %}", "body")
    with pytest.raises(ValidationError):
        message_render(
            subject="Hola",
            body="{{ name.__class__.__mro__ }}",
            body_format="markdown",
            values=VALUES,
            footer=FOOTER,
        )


def test_markdown_bodies_render_with_the_customer_fields_as_text_only():
    values = VALUES | {"name": "<script>alert(1)</script> [gana](javascript:alert(1)) *Luna*"}

    message = message_render(
        subject="{{ first_name }}, {{ offer }}",
        body="Hola **{{ first_name }}** de {{ name }}.\n\n[Darme de baja]({{ unsubscribe_url }})",
        body_format="markdown",
        values=values,
        footer=FOOTER,
    )

    assert message.subject == "Ana, 10 % en roscas"
    assert "<strong>Ana</strong>" in message.html
    assert "<script>" not in message.html and 'href="javascript' not in message.html
    assert "&lt;script&gt;" in message.html and "*Luna*" in message.html
    assert '<a href="https://crm.example.mx/u/abc">Darme de baja</a>' in message.html
    assert "Hola **Ana** de <script>" in message.text  # the text part is plain text
    assert message.text.rstrip().endswith(FOOTER)


def test_html_bodies_are_cleaned_and_escape_the_customer_fields():
    values = VALUES | {"name": 'Luna" onmouseover="alert(1)'}

    message = message_render(
        subject="Oferta",
        body='<p style="color:red" onclick="x()">Hola {{ name }}</p><img src=x><script>y()</script>',
        body_format="html",
        values=values,
        footer=FOOTER,
    )

    # the quote stays in the text: no attribute was made of it
    assert '<p>Hola Luna" onmouseover="alert(1)</p>' in message.html
    assert "<img" not in message.html and "<script" not in message.html
    assert "onclick" not in message.html and "style" not in message.html
    assert message.text.startswith('Hola Luna" onmouseover="alert(1)')
    assert '<a href="https://crm.example.mx/u/abc">' in message.html


def test_a_letters_text_leaves_out_markdowns_marks_but_keeps_a_names_own():
    text = message_text(
        body="# Hola {{ name }}\n\nUna **oferta** para usted:\n\n- pan\n- café\n",
        body_format="markdown",
        values=dict.fromkeys(VARIABLES, "") | {"name": "Café *Luna* & Co"},
    )
    assert text.splitlines() == [
        "Hola Café *Luna* & Co",
        "",
        "Una oferta para usted:",
        "",
        "• pan",
        "• café",
    ]

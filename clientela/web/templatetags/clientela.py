"""Template filters that show phones, countries, tax ids, money and quantities the local
way; numbers and money in the page's locale (``clientela.core.locale``)."""

import json
import math
from datetime import timedelta

from babel.numbers import format_decimal, format_scientific
from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from clientela.core import locale, validators
from clientela.web.list_actions import list_actions_for

register = template.Library()


@register.simple_tag
def locale_tag() -> str:
    """The page's locale as a BCP 47 tag, for the browser's own formatting: "es-MX"."""
    return locale.locale_tag()


@register.filter
def format_phone(value: str) -> str:
    """``{{ "+525512345678"|format_phone }}`` → "+52 55 1234 5678"."""
    return validators.format_phone(value) if value else ""


@register.filter
def country_name(code: str) -> str:
    """``{{ "MX"|country_name }}`` → "Mexico", "México" or "Мексика" by the active language."""
    return validators.country_name(code) if code else ""


@register.filter
def tax_id(customer) -> str:
    """A customer's tax id in its printed form, after its usual name: "RFC GODE 561231 GR8"."""
    if not customer.tax_id:
        return ""
    if not customer.tax_id_type:
        return customer.tax_id
    label = validators.tax_id_label(customer.country, customer.tax_id_type)
    return f"{label} {validators.format_tax_id(customer.tax_id, customer.tax_id_type)}"


@register.filter
def money(amount, currency: str = "") -> str:
    """An amount with its currency in the page's locale, the business's currency by
    default: ``$2,630,809.74 MXN`` in es-MX."""
    if amount is None or amount == "":
        return ""
    return locale.money_text(amount, currency)


@register.filter
def quantity(value, unit="") -> str:
    """``{{ line.quantity|quantity:line.product }}`` (a product, or its unit): 12.000 →
    "12", 2.500 kg → "2.5" (local separators); in a counted unit (pza) a whole number."""
    if value is None or value == "":
        return ""
    return locale.quantity_text(value, getattr(unit, "unit", unit) or "")


@register.filter
def percent(value) -> str:
    """A 0–1 share as a whole percentage in the page's locale: 0.914 → "91%" or "91 %"."""
    if value is None or value == "":
        return ""
    return locale.percent_text(float(value))


@register.filter
def significant(value, digits: int = 4) -> str:
    """A model's parameter to ``digits`` significant digits in the active locale, in
    scientific notation when very large or small: 0.24264 → "0.2426", 42480142.3 →
    "4.248E7" (or "4,248E7")."""
    if value is None or value == "":
        return ""
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return format_decimal(number, locale=locale.locale_for())
    exponent = math.floor(math.log10(abs(number)))
    if not -3 <= exponent < 6:
        return format_scientific(
            number, "0." + "#" * (digits - 1) + "E0", locale=locale.locale_for()
        )
    rounded = round(number, digits - 1 - exponent)
    return format_decimal(rounded, locale=locale.locale_for(), decimal_quantization=False)


@register.filter
def minutes(duration: timedelta) -> int:
    """A duration in whole minutes, rounded up: for "try again in 15 minutes"."""
    return math.ceil(duration.total_seconds() / 60) if duration else 0


@register.simple_tag(takes_context=True)
def list_actions(context, conditions, default_name="") -> str:
    """The actions other apps offer on this customer list (``web.list_actions``), given
    the list's filters as segment ``conditions``; nothing when ``conditions`` is None
    (the list's filters have no such form)."""
    if conditions is None:
        return ""
    capabilities = context.get("capabilities", frozenset())
    parts = [
        render_to_string(
            action.template,
            {
                "conditions_json": json.dumps(conditions),
                "default_name": default_name,
                "csrf_token": context.get("csrf_token"),
            },
        )
        for action in list_actions_for(capabilities)
    ]
    return mark_safe("".join(parts))

"""Template filters that show phones, countries, tax ids and money the local way."""

import math
from datetime import timedelta
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent, format_scientific
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from clientela.core import validators

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or settings.LANGUAGE_CODE)


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
    """An amount with its currency in the active locale; the business's currency by default."""
    if amount is None or amount == "":
        return ""
    return format_currency(
        Decimal(str(amount)), currency or settings.CLIENTELA_CURRENCY, locale=_locale()
    )


@register.filter
def percent(value) -> str:
    """A 0–1 share as a whole percentage in the active locale: 0.914 → "91%" or "91 %"."""
    if value is None or value == "":
        return ""
    return format_percent(float(value), locale=_locale())


@register.filter
def significant(value, digits: int = 4) -> str:
    """A model's parameter to ``digits`` significant digits in the active locale, in
    scientific notation when very large or small: 0.24264 → "0.2426", 42480142.3 →
    "4.248E7" (or "4,248E7")."""
    if value is None or value == "":
        return ""
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return format_decimal(number, locale=_locale())
    exponent = math.floor(math.log10(abs(number)))
    if not -3 <= exponent < 6:
        return format_scientific(number, "0." + "#" * (digits - 1) + "E0", locale=_locale())
    rounded = round(number, digits - 1 - exponent)
    return format_decimal(rounded, locale=_locale(), decimal_quantization=False)


@register.filter
def minutes(duration: timedelta) -> int:
    """A duration in whole minutes, rounded up: for "try again in 15 minutes"."""
    return math.ceil(duration.total_seconds() / 60) if duration else 0

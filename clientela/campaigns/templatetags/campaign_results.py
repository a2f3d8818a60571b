"""Filters of the campaign results pages: shares and differences between them to one
decimal, the local way."""

import copy

from babel.numbers import format_decimal
from django import template

from clientela.core.locale import locale_for

register = template.Library()

MINUS = "\u2212"


def _percent(share: float, decimals: int) -> str:
    """``share`` in the locale's own percent pattern, to ``decimals`` decimals."""
    locale = locale_for()
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(share, locale).replace("-", MINUS)


@register.filter
def rate(share) -> str:
    """A 0–1 share as a percentage to one decimal: 0.12 → "12.0%" (en-MX) or "12,0 %"
    (es-ES, ru-RU)."""
    if share is None or share == "":
        return "—"
    return _percent(float(share), 1)


@register.filter
def points(difference) -> str:
    """A difference between two shares in percentage points to one decimal, with a
    true minus sign: −0.026 → "−2.6"."""
    if difference is None or difference == "":
        return "—"
    text = format_decimal(round(float(difference) * 100, 1), "#,##0.0", locale=locale_for())
    return text.replace("-", MINUS)


@register.filter
def signed_ratio(value) -> str:
    """A return on investment (1.5 = 150 %) as a whole percentage with a true minus."""
    if value is None or value == "":
        return "—"
    return _percent(float(value), 0)

"""Template filters for event figures: quantities as people write them, percentages."""

from decimal import ROUND_CEILING, Decimal

from babel.numbers import format_percent
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from clientela.events.services import quantity_text

register = template.Library()


@register.filter
def quantity(value) -> str:
    """``{{ item.quantity_brought|quantity }}``: 12.000 → "12", 2.500 → "2.5" (local separators)."""
    if value is None or value == "":
        return ""
    return quantity_text(Decimal(str(value)))


@register.filter
def percent_points(value) -> str:
    """A percentage already ×100 (``sell_through_percent``) in the active locale: "91.5%"."""
    if value is None or value == "":
        return ""
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return format_percent(Decimal(str(value)) / 100, format="#,##0.#%", locale=locale)


@register.filter
def quantity_up(value) -> str:
    """A quantity rounded up to a whole unit, as the plan brings it: 12.2 → "13"."""
    if value is None or value == "":
        return ""
    return quantity_text(Decimal(str(value)).to_integral_value(ROUND_CEILING))

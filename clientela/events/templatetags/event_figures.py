"""Template filters for event figures: quantities as people write them, percentages."""

from decimal import ROUND_CEILING, Decimal

from django import template

from clientela.core.locale import percent_text, quantity_text
from clientela.web.templatetags.clientela import quantity

register = template.Library()
register.filter("quantity", quantity)


@register.filter
def percent_points(value) -> str:
    """A percentage already ×100 (``sell_through_percent``) in the page's locale: "91.5%"."""
    if value is None or value == "":
        return ""
    return percent_text(Decimal(str(value)) / 100, "#,##0.#%")


@register.filter
def quantity_up(value) -> str:
    """A quantity rounded up to a whole unit, as the plan brings it: 12.2 → "13"."""
    if value is None or value == "":
        return ""
    return quantity_text(Decimal(str(value)).to_integral_value(ROUND_CEILING))

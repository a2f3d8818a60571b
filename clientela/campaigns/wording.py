"""A segment's conditions in words, as its page shows them."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from clientela.campaigns.conditions import (
    CHOICE,
    DATES,
    DAYS,
    FIELDS,
    FLAG,
    PRODUCTS,
    RANGE,
    TEXT,
    WORDS,
    field_choices,
)
from clientela.orders.models import Product


def _day(iso: str | None) -> str:
    return formats.date_format(date.fromisoformat(iso), "DATE_FORMAT") if iso else ""


def _period(start: str | None, end: str | None) -> str:
    if start and end:
        return _("from %(start)s to %(end)s") % {"start": _day(start), "end": _day(end)}
    if start:
        return _("from %(start)s on") % {"start": _day(start)}
    if end:
        return _("until %(end)s") % {"end": _day(end)}
    return ""


def _number(stored: str | None) -> str:
    return "" if stored is None else formats.number_format(Decimal(stored), use_l10n=True)


def condition_words(condition: dict[str, Any], products: dict[int, str]) -> str:
    """One cleaned condition as a sentence (``products``: names of the products named)."""
    field = FIELDS[condition["field"]]
    op, value = condition["op"], condition["value"]
    label = str(field.label)
    if field.kind == CHOICE:
        names = dict(field_choices(field))
        listed = ", ".join(str(names.get(item, item)) for item in value)
        template = _("%(field)s is one of: %(values)s")
        if op == "not_in":
            template = _("%(field)s is none of: %(values)s")
        return template % {"field": label, "values": listed}
    if field.kind == TEXT:
        template = _("%(field)s is one of: %(values)s")
        if op == "not_in":
            template = _("%(field)s is none of: %(values)s")
        return template % {"field": label, "values": ", ".join(value)}
    if field.kind == RANGE:
        low, high = _number(value["min"]), _number(value["max"])
        if low and high:
            return _("%(field)s from %(low)s to %(high)s") % {
                "field": label,
                "low": low,
                "high": high,
            }
        if low:
            return _("%(field)s at least %(low)s") % {"field": label, "low": low}
        return _("%(field)s at most %(high)s") % {"field": label, "high": high}
    if field.kind == DATES:
        return f"{label}: {_period(value['from'], value['to'])}"
    if field.kind == FLAG:
        return f"{label}: {_('yes') if value else _('no')}"
    if field.kind == WORDS:
        return _("Found by searching for “%(words)s”") % {"words": value}
    if field.kind == DAYS:
        return _("Not contacted for at least %(days)s days") % {
            "days": formats.number_format(value, use_l10n=True)
        }
    assert field.kind == PRODUCTS
    names = ", ".join(products.get(pk, f"#{pk}") for pk in value["products"])
    template = _("Bought %(products)s") if op == "bought" else _("Did not buy %(products)s")
    words = template % {"products": names}
    period = _period(value.get("from"), value.get("to"))
    return f"{words} ({period})" if period else words


def conditions_words(conditions: list[dict[str, Any]]) -> list[str]:
    """Each of a segment's cleaned conditions as a sentence (one query for products)."""
    ids = {pk for c in conditions if c["field"] == "products" for pk in c["value"]["products"]}
    products = dict(Product.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return [condition_words(condition, products) for condition in conditions]

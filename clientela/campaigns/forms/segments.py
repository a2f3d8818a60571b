"""The segment builder's form: a name, a description, whether it is shared, and rows of
conditions posted as ``c-<n>-<input>`` (one row per condition, in the order shown).

Each row becomes a condition as ``conditions.conditions_clean`` reads it; the first
wrong one is shown beside its row with the message that names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.campaigns.conditions import (
    CHOICE,
    CONDITIONS_MAX,
    DATES,
    DAYS,
    FIELDS,
    FLAG,
    PRODUCTS,
    RANGE,
    TEXT,
    WORDS,
    Field,
    conditions_clean,
    field_choices,
)
from clientela.campaigns.models import NAME_LENGTH
from clientela.core.locale import decimal_from_text
from clientela.orders.models import Product
from clientela.web.forms import BootstrapFormMixin, typed_number

# The builder's menu of fields, in groups.
FIELD_GROUPS = (
    (
        _("Scores"),
        (
            "rfm_segment",
            "pareto_class",
            "ladder_stage",
            "churn",
            "key_customer",
            "clv",
            "probability_alive",
        ),
    ),
    (_("Purchases"), ("first_purchase", "last_purchase", "products")),
    (_("Customer"), ("search", "city", "source", "kind", "owner", "tag", "customer_since")),
    (
        _("Contact"),
        (
            "preferred_channel",
            "consent_email",
            "consent_phone",
            "consent_sms",
            "consent_mail",
            "not_contacted_days",
            "activity_planned",
        ),
    ),
)
# The operators' names, by kind and operator.
OP_LABELS = {
    "in": _("is one of"),
    "not_in": _("is none of"),
    "bought": _("bought"),
    "not_bought": _("did not buy"),
}
# A choice field with more choices than this is a list to pick from, not checkboxes.
CHECKBOXES_MAX = 12
# The products the picker offers.
PRODUCTS_MAX = 2000
_ROW_KEY = re.compile(r"c-(\d+)-field")


class SegmentForm(BootstrapFormMixin, forms.Form):
    """What a segment is called, says and whether the staff share it."""

    name = forms.CharField(label=_("Name"), max_length=NAME_LENGTH)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    shared = forms.BooleanField(
        label=_("Shared with the staff"),
        required=False,
        help_text=_("Unshared, only you see and use it."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@dataclass
class ConditionRow:
    """One row of the builder as typed: the field, the operator and the inputs of the
    field's kind; ``error`` when its condition was refused."""

    index: int
    key: str = ""
    op: str = ""
    values: list[str] = field(default_factory=list)
    text: str = ""
    low: str = ""
    high: str = ""
    start: str = ""
    end: str = ""
    flag: str = ""
    days: str = ""
    products: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def field(self) -> Field | None:
        """The condition field the row names, if any."""
        return FIELDS.get(self.key)

    @property
    def kind(self) -> str:
        return self.field.kind if self.field else ""

    @property
    def prefix(self) -> str:
        return f"c-{self.index}"

    def ops(self) -> list[tuple[str, Any]]:
        """The operators the user picks from (none when the kind has only one)."""
        kind = self.kind
        if kind in (CHOICE, TEXT):
            return [("in", OP_LABELS["in"]), ("not_in", OP_LABELS["not_in"])]
        if kind == PRODUCTS:
            return [("bought", OP_LABELS["bought"]), ("not_bought", OP_LABELS["not_bought"])]
        return []

    def choices(self) -> list[tuple[str, Any, bool]]:
        """A choice field's choices, each with whether it is ticked."""
        if self.field is None or self.kind != CHOICE:
            return []
        chosen = set(self.values)
        return [(str(key), label, str(key) in chosen) for key, label in field_choices(self.field)]

    @property
    def as_checkboxes(self) -> bool:
        return self.kind == CHOICE and len(self.choices()) <= CHECKBOXES_MAX

    def is_blank(self) -> bool:
        """Whether no field was chosen yet (the live count skips such a row)."""
        return not self.key

    def condition(self) -> dict[str, Any]:
        """The row as ``conditions_clean`` reads it."""
        kind = self.kind
        value: Any = None
        if kind == CHOICE:
            value = self.values
        elif kind == TEXT:
            value = [word.strip() for word in self.text.split(",") if word.strip()]
        elif kind == WORDS:
            value = self.text
        elif kind == RANGE:
            value = {"min": _number(self.low), "max": _number(self.high)}
        elif kind == DATES:
            value = {"from": self.start or None, "to": self.end or None}
        elif kind == FLAG:
            value = {"yes": True, "no": False}.get(self.flag)
        elif kind == DAYS:
            value = self.days
        elif kind == PRODUCTS:
            value = {"products": self.products, "from": self.start or None, "to": self.end or None}
        return {"field": self.key, "op": self.op or None, "value": value}

    @classmethod
    def from_post(cls, data: Mapping, index: int) -> ConditionRow:
        """The row ``index`` of a posted builder."""
        prefix = f"c-{index}-"
        return cls(
            index=index,
            key=data.get(prefix + "field", ""),
            op=data.get(prefix + "op", ""),
            values=[str(v) for v in data.getlist(prefix + "values")],
            text=data.get(prefix + "text", ""),
            low=data.get(prefix + "min", ""),
            high=data.get(prefix + "max", ""),
            start=data.get(prefix + "from", ""),
            end=data.get(prefix + "to", ""),
            flag=data.get(prefix + "flag", ""),
            days=data.get(prefix + "days", ""),
            products=[str(v) for v in data.getlist(prefix + "products")],
        )

    @classmethod
    def from_condition(cls, index: int, condition: dict[str, Any]) -> ConditionRow:
        """The row that shows a kept (cleaned) condition."""
        row = cls(index=index, key=condition["field"], op=condition["op"])
        value = condition["value"]
        kind = row.kind
        if kind == CHOICE:
            row.values = [str(item) for item in value]
        elif kind == TEXT:
            row.text = ", ".join(value)
        elif kind == WORDS:
            row.text = value
        elif kind == RANGE:
            row.low = _typed(value.get("min"))
            row.high = _typed(value.get("max"))
        elif kind == DATES:
            row.start, row.end = value.get("from") or "", value.get("to") or ""
        elif kind == FLAG:
            row.flag = "yes" if value else "no"
        elif kind == DAYS:
            row.days = str(value)
        elif kind == PRODUCTS:
            row.products = [str(pk) for pk in value["products"]]
            row.start, row.end = value.get("from") or "", value.get("to") or ""
        return row


def _number(text: str) -> str | None:
    """A number typed the page's locale's way, as ``conditions_clean`` reads numbers; the
    text as it is when it is not one (the cleaning then says so)."""
    if not text.strip():
        return None
    try:
        return str(decimal_from_text(text))
    except ValueError:
        return text


def _typed(stored: str | None) -> str:
    return "" if stored is None else typed_number(Decimal(stored))


def rows_from_post(data: Mapping) -> list[ConditionRow]:
    """The builder's rows as posted, in order; with ``add`` one blank row more, with
    ``remove=<n>`` without row n. Rows are numbered again from 0."""
    indexes = sorted({int(m.group(1)) for key in data if (m := _ROW_KEY.fullmatch(key))})
    removed = data.get("remove", "")
    rows = [ConditionRow.from_post(data, i) for i in indexes if str(i) != removed]
    if "add" in data and len(rows) < CONDITIONS_MAX:
        rows.append(ConditionRow(index=0, key=data.get("add_field", "")))
    for position, row in enumerate(rows):
        row.index = position
    return rows


def rows_from_conditions(conditions: list[dict[str, Any]]) -> list[ConditionRow]:
    """The rows that show a segment's kept conditions."""
    return [ConditionRow.from_condition(i, c) for i, c in enumerate(conditions)]


def rows_clean(rows: list[ConditionRow], *, skip_blank: bool = False) -> list[dict[str, Any]]:
    """The rows' conditions, cleaned; on a refusal the refused row gets the message
    (naming the condition) in ``error`` and the ValidationError is raised again. A
    refusal of the whole list (too many) is raised as it is. ``skip_blank`` leaves out
    rows with no field chosen (the live count, while the user builds)."""
    kept = [row for row in rows if not (skip_blank and row.is_blank())]
    raw = [row.condition() for row in kept]
    try:
        return conditions_clean(raw)
    except ValidationError as error:
        message = " ".join(error.message_dict.get("conditions", error.messages))
        for row, condition in zip(kept, raw, strict=True):
            try:
                conditions_clean([condition])
            except ValidationError:
                row.error = message
                break
        raise


def product_choices() -> list[tuple[str, str]]:
    """The products a condition or a conversion rule picks from, active ones first."""
    products = Product.objects.order_by("-is_active", "name", "id").values_list(
        "pk", "name", "sku"
    )[:PRODUCTS_MAX]
    return [(str(pk), f"{name} ({sku})") for pk, name, sku in products]


def field_menu() -> list[tuple[Any, list[tuple[str, Any]]]]:
    """The builder's field menu: groups of (key, label)."""
    return [(label, [(key, FIELDS[key].label) for key in keys]) for label, keys in FIELD_GROUPS]

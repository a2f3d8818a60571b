"""What a segment may ask of a customer: the registry of condition fields, the cleaning
of a segment's conditions (each refusal names the condition and the problem), and the
query they make together (decision 0016).

A condition is ``{"field": …, "op": …, "value": …}``; a segment's conditions must all
hold. Fields on scores read the latest analysis (``as_of``); without one, a condition
on scores matches no one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientela.analytics.models import (
    CustomerScore,
    LadderStage,
    ParetoClass,
    RFMSegment,
)
from clientela.analytics.selectors import CHURN
from clientela.analytics.wording import CHURN_LABELS
from clientela.core.models import User
from clientela.core.validators import LARGEST_WHOLE_NUMBER, business_date_check
from clientela.customers.matching import search_terms
from clientela.customers.models import (
    Address,
    Channel,
    CustomerKind,
    CustomerSource,
    CustomerTag,
    Tag,
)
from clientela.customers.selectors import customer_since_between
from clientela.orders.models import BOUGHT, Order, Product
from clientela.relations.models import Activity, ActivityStatus

# The kinds of field, each with the operators it takes.
CHOICE = "choice"  # value: a list of keys; ops "in", "not_in"
TEXT = "text"  # value: a list of words, case aside; ops "in", "not_in"
RANGE = "range"  # value: {"min": …, "max": …}, either may be missing; op "between"
DATES = "dates"  # value: {"from": …, "to": …} ISO dates, either may be missing; op "between"
FLAG = "flag"  # value: true or false; op "is"
DAYS = "days"  # value: a whole number of days; op "at_least"
PRODUCTS = "products"  # value: {"products": [ids], "from": …, "to": …}; ops "bought", "not_bought"
WORDS = "words"  # value: the customer search's words, as typed; op "contains"

OPS = {
    CHOICE: ("in", "not_in"),
    TEXT: ("in", "not_in"),
    RANGE: ("between",),
    DATES: ("between",),
    FLAG: ("is",),
    DAYS: ("at_least",),
    PRODUCTS: ("bought", "not_bought"),
    WORDS: ("contains",),
}
# The most conditions a segment holds, values a list condition names, and characters of
# search words (as the customer list's search box).
CONDITIONS_MAX = 20
VALUES_MAX = 200
WORDS_MAX = 200
DAYS_MAX = 36500

# The churn lists a condition may name, as the score lists name them
# (``analytics.selectors.CHURN`` holds their queries).
CHURN_CHOICES = tuple(
    (key, CHURN_LABELS[key])
    for key in (
        "at_risk",
        "overdue",
        "leaving",
        "lost",
        "lapsed",
        "likely_gone",
        "flagged",
        "active",
    )
)


@dataclass(frozen=True)
class Field:
    """A field a condition may name: its label, kind, choices (for a choice field), and
    whether it reads the latest scores."""

    key: str
    label: str | Promise
    kind: str
    choices: tuple[tuple[str, Any], ...] = ()
    on_scores: bool = False
    # A choice field whose choices are read when asked (owners, tags): how to check one.
    choices_read: Callable[[], Iterable[tuple[str, Any]]] | None = None


def _owners() -> list[tuple[str, str]]:
    users = User.objects.filter(is_active=True).order_by("first_name", "username")
    return [("none", _("No owner")), *((str(u.pk), u.get_full_name() or u.username) for u in users)]


def _tags() -> list[tuple[str, str]]:
    return [(name, name) for name in Tag.objects.order_by("name").values_list("name", flat=True)]


FIELDS: dict[str, Field] = {
    field.key: field
    for field in (
        Field("rfm_segment", _("RFM segment"), CHOICE, tuple(RFMSegment.choices), True),
        Field("pareto_class", _("Pareto class"), CHOICE, tuple(ParetoClass.choices), True),
        Field("ladder_stage", _("Ladder stage"), CHOICE, tuple(LadderStage.choices), True),
        Field("churn", _("Drifting away or lost"), CHOICE, CHURN_CHOICES, True),
        Field("key_customer", _("Key customer (class A or Champion)"), FLAG, on_scores=True),
        Field("clv", _("Lifetime value"), RANGE, on_scores=True),
        Field("probability_alive", _("Probability alive (%)"), RANGE, on_scores=True),
        Field("first_purchase", _("First purchase"), DATES, on_scores=True),
        Field("last_purchase", _("Last purchase"), DATES, on_scores=True),
        Field("products", _("Products bought"), PRODUCTS),
        Field("city", _("City"), TEXT),
        Field("source", _("Source"), CHOICE, tuple(CustomerSource.choices)),
        Field("kind", _("Kind"), CHOICE, tuple(CustomerKind.choices)),
        Field("owner", _("Owner"), CHOICE, choices_read=_owners),
        Field("tag", _("Tag"), CHOICE, choices_read=_tags),
        Field("preferred_channel", _("Preferred channel"), CHOICE, tuple(Channel.choices)),
        Field("consent_email", _("Agrees to e-mail"), FLAG),
        Field("consent_phone", _("Agrees to calls"), FLAG),
        Field("consent_sms", _("Agrees to SMS and WhatsApp"), FLAG),
        Field("consent_mail", _("Agrees to direct mail"), FLAG),
        Field("not_contacted_days", _("Not contacted for (days)"), DAYS),
        Field("activity_planned", _("Has an activity planned"), FLAG),
        Field("customer_since", _("Customer since"), DATES),
        Field("search", _("Search words"), WORDS),
    )
}


def field_choices(field: Field) -> list[tuple[str, Any]]:
    """The choices of a choice field, read now for owners and tags."""
    return list(field.choices_read() if field.choices_read else field.choices)


# --- cleaning -----------------------------------------------------------------------


def _refuse(position: int, field: Field | None, message) -> ValidationError:
    label = field.label if field else _("condition")
    return ValidationError(
        {
            "conditions": _("Condition %(number)s (%(field)s): %(problem)s")
            % {"number": position, "field": label, "problem": message}
        }
    )


def _number(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    return number


def _day(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date.") % {"value": raw}) from None
    try:
        business_date_check(day)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None
    return day.isoformat()


def _bounds(low, high, problem) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(problem)


def _value_clean(field: Field, op: str, value: Any) -> Any:
    """The condition's value as stored, or ValueError saying what is wrong with it."""
    if field.kind in (CHOICE, TEXT):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ValueError(_("pick at least one value."))
        values = [str(item).strip() for item in value if str(item).strip()]
        if not values:
            raise ValueError(_("pick at least one value."))
        if len(values) > VALUES_MAX:
            raise ValueError(_("at most %(count)s values.") % {"count": VALUES_MAX})
        if field.kind == CHOICE:
            known = {key for key, _label in field_choices(field)}
            unknown = [item for item in values if item not in known]
            if unknown:
                raise ValueError(
                    _("“%(value)s” is not one of the choices.") % {"value": unknown[0]}
                )
        return list(dict.fromkeys(values))
    if field.kind == RANGE:
        value = value if isinstance(value, dict) else {}
        low, high = _number(value.get("min")), _number(value.get("max"))
        if low is None and high is None:
            raise ValueError(_("give a lowest value, a highest value or both."))
        if field.key == "probability_alive" and any(
            bound is not None and not 0 <= bound <= 100 for bound in (low, high)
        ):
            raise ValueError(_("a percentage runs from 0 to 100."))
        _bounds(low, high, _("the lowest value is above the highest."))
        return {
            "min": None if low is None else str(low),
            "max": None if high is None else str(high),
        }
    if field.kind == DATES:
        value = value if isinstance(value, dict) else {}
        start, end = _day(value.get("from")), _day(value.get("to"))
        if start is None and end is None:
            raise ValueError(_("give a first day, a last day or both."))
        _bounds(start, end, _("the first day is after the last."))
        return {"from": start, "to": end}
    if field.kind == FLAG:
        if not isinstance(value, bool):
            raise ValueError(_("say yes or no."))
        return value
    if field.kind == WORDS:
        words = value.strip() if isinstance(value, str) else ""
        if not search_terms(words):
            raise ValueError(_("type at least one word to search for."))
        if len(words) > WORDS_MAX:
            raise ValueError(_("at most %(count)s characters.") % {"count": WORDS_MAX})
        return words
    if field.kind == DAYS:
        try:
            days = int(str(value).strip())
        except ValueError:
            raise ValueError(_("give a whole number of days.")) from None
        if not 1 <= days <= DAYS_MAX:
            raise ValueError(_("give between 1 and %(max)s days.") % {"max": DAYS_MAX})
        return days
    # PRODUCTS
    value = value if isinstance(value, dict) else {}
    products = value.get("products") or []
    if not isinstance(products, list) or not products:
        raise ValueError(_("pick at least one product."))
    try:
        ids = sorted({int(item) for item in products})
    except (TypeError, ValueError, OverflowError):
        raise ValueError(_("pick products from the catalog.")) from None
    storable = all(0 < pk <= LARGEST_WHOLE_NUMBER for pk in ids)
    if not storable or Product.objects.filter(pk__in=ids).count() != len(ids):
        raise ValueError(_("pick products from the catalog."))
    start, end = _day(value.get("from")), _day(value.get("to"))
    _bounds(start, end, _("the first day is after the last."))
    return {"products": ids, "from": start, "to": end}


def conditions_clean(raw: Any) -> list[dict[str, Any]]:
    """``raw`` as a segment keeps its conditions, or ValidationError on ``conditions``
    naming the first wrong condition (by its number and field) and what is wrong."""
    if not isinstance(raw, list):
        raise ValidationError({"conditions": _("The conditions must be a list.")})
    if len(raw) > CONDITIONS_MAX:
        raise ValidationError(
            {
                "conditions": _("A segment holds at most %(count)s conditions.")
                % {"count": CONDITIONS_MAX}
            }
        )
    cleaned = []
    for position, condition in enumerate(raw, start=1):
        if not isinstance(condition, dict):
            raise _refuse(position, None, _("it must name a field, an operator and a value."))
        field = FIELDS.get(str(condition.get("field", "")))
        if field is None:
            raise _refuse(
                position,
                None,
                _("“%(field)s” is not a field a segment may use.")
                % {"field": condition.get("field", "")},
            )
        op = condition.get("op") or OPS[field.kind][0]
        if op not in OPS[field.kind]:
            raise _refuse(
                position, field, _("“%(op)s” is not an operator of this field.") % {"op": op}
            )
        try:
            value = _value_clean(field, op, condition.get("value"))
        except ValueError as error:
            raise _refuse(position, field, str(error)) from None
        cleaned.append({"field": field.key, "op": op, "value": value})
    return cleaned


# --- the query ----------------------------------------------------------------------


def _between(lookup: str, low, high) -> Q:
    q = Q()
    if low is not None:
        q &= Q(**{f"{lookup}__gte": low})
    if high is not None:
        q &= Q(**{f"{lookup}__lte": high})
    return q


def _score_q(field: str, op: str, value: Any) -> Q:
    if field == "key_customer":
        key = Q(pareto_class=ParetoClass.A) | Q(rfm_segment=RFMSegment.CHAMPIONS)
        return key if value else ~key
    if field == "churn":
        q = Q()
        for key in value:
            q |= CHURN[key]
        return q
    if field in ("rfm_segment", "pareto_class", "ladder_stage"):
        return Q(**{f"{field}__in": value})
    if field == "clv":
        return _between("clv", value["min"], value["max"])
    if field == "probability_alive":

        def share(bound):
            return None if bound is None else float(bound) / 100

        return _between("probability_alive", share(value["min"]), share(value["max"]))
    lookup = {"first_purchase": "first_purchase_on", "last_purchase": "last_purchase_on"}[field]
    return _between(lookup, value["from"], value["to"])


def _customer_q(field: str, op: str, value: Any) -> Q:
    if field == "city":
        q = Q()
        for city in value:
            q |= Q(city__iexact=city)
        return Q(Exists(Address.objects.filter(q, customer=OuterRef("pk"))))
    if field == "tag":
        return Q(Exists(CustomerTag.objects.filter(customer=OuterRef("pk"), tag__name__in=value)))
    if field == "owner":
        ids = [int(item) for item in value if item != "none"]
        q = Q(owner_id__in=ids)
        return q | Q(owner__isnull=True) if "none" in value else q
    if field in ("source", "kind", "preferred_channel"):
        return Q(**{f"{field}__in": value})
    if field.startswith("consent_"):
        return Q(**{field: value})
    if field == "activity_planned":
        planned = Q(
            Exists(Activity.objects.filter(customer=OuterRef("pk"), status=ActivityStatus.OPEN))
        )
        return planned if value else ~planned
    if field == "not_contacted_days":
        since = timezone.now() - timedelta(days=value)
        return Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=since)
    if field == "customer_since":
        return customer_since_between(
            value["from"] and date.fromisoformat(value["from"]),
            value["to"] and date.fromisoformat(value["to"]),
        )
    if field == "search":
        q = Q()
        for term in search_terms(value):
            q &= Q(search_document__contains=term)
        return q
    # products
    orders = Order.objects.filter(
        BOUGHT,
        _between("order_date", value["from"], value["to"]),
        customer=OuterRef("pk"),
        lines__product_id__in=value["products"],
    )
    return Q(Exists(orders))


def conditions_q(conditions: list[dict[str, Any]], as_of: date | None) -> Q:
    """The query of cleaned ``conditions`` on customers, with the scores of ``as_of``
    (the latest analysis; ``None`` when there is none: conditions on scores then match
    no one). Conditions on scores are asked of one score row together."""
    q = Q()
    scores = Q()
    on_scores = False
    for condition in conditions:
        field, op, value = condition["field"], condition["op"], condition["value"]
        if FIELDS[field].on_scores:
            part = _score_q(field, op, value)
            scores &= ~part if op == "not_in" else part
            on_scores = True
            continue
        part = _customer_q(field, op, value)
        q &= ~part if op in ("not_in", "not_bought") else part
    if on_scores:
        if as_of is None:
            return Q(pk__in=[])
        q &= Q(Exists(CustomerScore.objects.filter(scores, customer=OuterRef("pk"), as_of=as_of)))
    return q

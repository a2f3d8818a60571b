"""Reads of event sales: lists, one event, estimated vs actual, and the plan for the next one."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.money import money_round
from clientela.core.sql import DayNumber, day_number
from clientela.events import forecast
from clientela.events.models import Event, EventProduct, EventSale
from clientela.orders.models import QUANTITY, Product

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class Sold(TypedDict):
    """What ``event_list`` adds to each event."""

    quantity_sold: Decimal


ZERO = Decimal(0)
PERCENT = Decimal("0.01")
PLANNED_QUANTITY = Decimal("0.001")


def event_list(
    *, kind: str = "", location: str = "", year: int | None = None
) -> "QuerySet[WithAnnotations[Event, Sold]]":
    """Events, newest first, filtered by kind, location (part of it, any case) and year.

    Each row carries ``quantity_sold``, the total sold over all its products and days.
    """
    queryset = Event.objects.all()
    if kind:
        queryset = queryset.filter(kind=kind)
    if location:
        queryset = queryset.filter(location__icontains=location)
    if year:
        queryset = queryset.filter(start_date__year=year)
    sold = (
        EventSale.objects.filter(item__event=OuterRef("pk"))
        .order_by()
        .values("item__event")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return queryset.annotate(
        quantity_sold=Coalesce(Subquery(sold), Value(ZERO), output_field=DecimalField(**QUANTITY))
    ).order_by("-start_date", "-id")


def event_next(*, today: date) -> Event | None:
    """The event on ``today`` or, if none, the first one to come (``None`` if none is
    planned)."""
    last_day = ExpressionWrapper(
        DayNumber("start_date") + F("duration_days") - 1, output_field=IntegerField()
    )
    return (
        Event.objects.alias(last_day=last_day)
        .filter(last_day__gte=day_number(today))
        .order_by("start_date", "id")
        .first()
    )


def event_quantities_brought(*, event_ids: list[int]) -> dict[int, Decimal]:
    """Per event id, the total brought over all its products (one ``GROUP BY``)."""
    rows = (
        EventProduct.objects.filter(event_id__in=event_ids)
        .values("event_id")
        .annotate(total=Sum("quantity_brought"))
        .order_by()
    )
    return {row["event_id"]: row["total"] for row in rows}


@dataclass(frozen=True)
class EventListRow:
    """An event as the list shows it: what was brought and the share of it sold (None
    when nothing was brought or the event has not started: no share to judge)."""

    event: Event
    brought: Decimal
    share: Decimal | None


def event_list_rows(events: "Iterable[WithAnnotations[Event, Sold]]") -> list[EventListRow]:
    """The list's rows of ``events`` (a page), their quantities brought in one query."""
    events = list(events)
    brought = event_quantities_brought(event_ids=[event.pk for event in events])
    rows = []
    for event in events:
        total = brought.get(event.pk, Decimal(0))
        judged = bool(total) and event_stage(event) is not EventStage.UPCOMING
        rows.append(EventListRow(event, total, event.quantity_sold / total if judged else None))
    return rows


def event_years() -> list[int]:
    """The years in which some event started, latest first (for the list's filter)."""
    return [day.year for day in Event.objects.dates("start_date", "year", order="DESC")]


def event_get(*, pk: int) -> Event:
    """One event with its products and their daily sales; raises Event.DoesNotExist."""
    return Event.objects.prefetch_related(
        Prefetch(
            "items",
            queryset=EventProduct.objects.select_related("product").prefetch_related(
                Prefetch("sales", queryset=EventSale.objects.order_by("sold_on"))
            ),
        )
    ).get(pk=pk)


@dataclass(frozen=True)
class ComparisonRow:
    """Estimated vs actual for one product, or for the whole event (``product`` None).

    ``difference`` is sold − expected (above 0: sold more than expected). Percentages
    have two decimals and are None when nothing was brought. Only the past is judged:
    ``difference``, ``leftover`` and ``waste_percent`` are None until the event is over,
    and ``sell_through_percent`` is None until it has started.
    """

    product: Product | None
    brought: Decimal
    expected: Decimal
    sold_by_day: dict[date, Decimal]
    sold: Decimal
    difference: Decimal | None
    sell_through_percent: Decimal | None
    leftover: Decimal | None
    waste_percent: Decimal | None
    revenue: Decimal
    expected_revenue: Decimal


class EventStage(StrEnum):
    """Where an event stands today: what of it can be judged."""

    UPCOMING = "upcoming"  # nothing can have sold: only the plan
    RUNNING = "running"  # sold so far; leftover and waste wait for the last day
    OVER = "over"  # everything is known


def event_stage(event: Event, today: date | None = None) -> EventStage:
    """Whether ``event`` is upcoming, running or over on ``today`` (the local date)."""
    today = today or timezone.localdate()
    if today < event.start_date:
        return EventStage.UPCOMING
    return EventStage.RUNNING if today <= event.end_date else EventStage.OVER


@dataclass(frozen=True)
class Comparison:
    event: Event
    currency: str
    days: list[date]
    rows: list[ComparisonRow]
    total: ComparisonRow
    stage: EventStage


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(PERCENT, ROUND_HALF_UP) if whole else None


def _row(
    product: Product | None,
    brought: Decimal,
    expected: Decimal,
    sold_by_day: dict[date, Decimal],
    sold: Decimal,
    revenue: Decimal,
    expected_revenue: Decimal,
    stage: EventStage,
) -> ComparisonRow:
    over = stage is EventStage.OVER
    leftover = brought - sold
    return ComparisonRow(
        product=product,
        brought=brought,
        expected=expected,
        sold_by_day=sold_by_day,
        sold=sold,
        difference=sold - expected if over else None,
        sell_through_percent=_percent(sold, brought) if stage is not EventStage.UPCOMING else None,
        leftover=leftover if over else None,
        waste_percent=_percent(leftover, brought) if over else None,
        revenue=revenue,
        expected_revenue=expected_revenue,
    )


def event_comparison(*, event: Event) -> Comparison:
    """Estimated vs actual per product and in total, in two queries.

    The database sums the sales per product and per product and day; the products'
    revenues (sold × price, rounded to the currency) and the totals are then exact
    Decimal sums of those. Totals add up every product whatever its unit. Leftover,
    waste and the difference from expected wait until the event is over (``stage``).
    """
    currency = settings.CLIENTELA_CURRENCY
    stage = event_stage(event)
    items = list(
        EventProduct.objects.filter(event=event)
        .select_related("product")
        .annotate(
            sold=Coalesce(
                Sum("sales__quantity"), Value(ZERO), output_field=DecimalField(**QUANTITY)
            )
        )
        .order_by("product__name", "id")
    )
    daily = (
        EventSale.objects.filter(item__event=event)
        .values("item_id", "sold_on")
        .annotate(sold=Sum("quantity"))
        .order_by()
    )
    by_item: dict[int, dict[date, Decimal]] = {}
    for entry in daily:
        by_item.setdefault(entry["item_id"], {})[entry["sold_on"]] = entry["sold"]
    days = event.days()
    rows = [
        _row(
            item.product,
            item.quantity_brought,
            item.quantity_expected,
            {day: by_item.get(item.pk, {}).get(day, ZERO) for day in days},
            item.sold,
            money_round(item.sold * item.unit_price, currency),
            money_round(item.quantity_expected * item.unit_price, currency),
            stage,
        )
        for item in items
    ]
    total = _row(
        None,
        sum((row.brought for row in rows), ZERO),
        sum((row.expected for row in rows), ZERO),
        {day: sum((row.sold_by_day[day] for row in rows), ZERO) for day in days},
        sum((row.sold for row in rows), ZERO),
        sum((row.revenue for row in rows), ZERO),
        sum((row.expected_revenue for row in rows), ZERO),
        stage,
    )
    return Comparison(
        event=event, currency=currency, days=days, rows=rows, total=total, stage=stage
    )


@dataclass(frozen=True)
class PlanLine:
    """A product's suggested quantity (to the quantity's 3 decimals) and its past error."""

    product: Product
    quantity: Decimal
    events_used: int
    mae: float | None
    wape: float | None
    backtest: tuple[forecast.BacktestPoint, ...]


@dataclass(frozen=True)
class EventPlan:
    basis: forecast.Basis | None
    explanation: str
    events: list[Event]
    lines: list[PlanLine]
    overall_wape: float | None


def event_plan(*, event: Event, options: forecast.ForecastOptions | None = None) -> EventPlan:
    """The plan for ``event`` from the events that ended before it started."""
    return event_plan_for(
        kind=event.kind,
        location=event.location,
        start_date=event.start_date,
        duration_days=event.duration_days,
        options=options,
    )


def event_has_sales(event: Event) -> bool:
    """Whether any of the event's products has a sale recorded (zeros do not count)."""
    return EventSale.objects.filter(item__event=event, quantity__gt=0).exists()


def event_plan_for(
    *,
    kind: str,
    location: str,
    start_date: date,
    duration_days: int,
    options: forecast.ForecastOptions | None = None,
) -> EventPlan:
    """Suggested quantities per product for a new event, with the error of past suggestions.

    Reads every event that started before ``start_date`` (one query), the totals sold
    per event and product (one ``GROUP BY``) and the products sold (one query);
    ``forecast.plan`` does the rest, in whole units for products counted in pieces.
    Inactive products are left out of the lines (they cannot be brought), not out of
    the back-test.
    """
    events = {
        event.pk: event
        for event in Event.objects.filter(
            start_date__lt=start_date, cancelled_at__isnull=True
        ).order_by("start_date", "id")
    }
    sold: dict[int, dict[int, float]] = {}
    totals = (
        EventSale.objects.filter(
            item__event__start_date__lt=start_date, item__event__cancelled_at__isnull=True
        )
        .values("item__event_id", "item__product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for row in totals:
        sold.setdefault(row["item__event_id"], {})[row["item__product_id"]] = float(row["total"])
    history = [
        forecast.PastEvent(
            id=event.pk,
            kind=event.kind,
            location=event.location,
            start_date=event.start_date,
            duration_days=event.duration_days,
            sold=sold.get(event.pk, {}),
        )
        for event in events.values()
    ]
    products = Product.objects.in_bulk({pk for sales in sold.values() for pk in sales})
    whole_units = {pk for pk, product in products.items() if product.counted_in_pieces}
    target = forecast.EventShape(kind, location, start_date, duration_days)
    result = forecast.plan(target, history, options, whole_units)
    lines = sorted(
        (
            PlanLine(
                product=products[line.product_id],
                quantity=Decimal(repr(line.suggested)).quantize(PLANNED_QUANTITY, ROUND_HALF_UP),
                events_used=line.events_used,
                mae=line.mae,
                wape=line.wape,
                backtest=line.backtest,
            )
            for line in result.products
            if products[line.product_id].is_active
        ),
        key=lambda line: (line.product.name, line.product.pk),
    )
    return EventPlan(
        basis=result.basis,
        explanation=_explanation(result.basis, location),
        events=[events[pk] for pk in result.event_ids],
        lines=lines,
        overall_wape=result.overall_wape,
    )


def _explanation(basis: forecast.Basis | None, location: str) -> str:
    if basis is forecast.Basis.LOCATION:
        return _("Suggested from past events at %(location)s.") % {"location": location}
    if basis is forecast.Basis.KIND:
        return _("No past event at %(location)s; suggested from past events of the same kind.") % {
            "location": location
        }
    return _(
        "No similar past event (same location or same kind) has ended before this one "
        "starts, so there is nothing to suggest."
    )

"""How much of each product to bring to an event, learned from similar past events.

Pure Python, no Django: the selectors turn database rows into ``PastEvent`` values.

Method
------
1. **Similar events.** Of the past events that *ended before the new event starts*,
   take those at the same location (compared ignoring case and repeated spaces); if
   there are none, those of the same kind; if there are none either, there is no
   suggestion, and the plan says so (``basis is None``).
2. **Daily sales.** A product counts for an event when a sale (0 included) was recorded
   for it there; its daily sales are its total sold ÷ the event's days. Events where
   the product was not recorded say nothing about it.
3. **Weights.** Each similar event weighs
   ``0.5 ** (age / half_life_days) × (season_factor if same season else 1)``, where
   ``age`` is the days from its start to the new event's start, and "same season" means
   its start month is within ``season_months`` of the new event's start month, across
   the new year too (December and January are one month apart).
4. **Suggestion.** Per product: the weighted mean of its daily sales over the similar
   events that recorded it, × the new event's days. ``events_used`` counts those events.
5. **Back-test.** For every similar event that recorded the product, the same method
   is run as if planning that event, with only the history that had ended before it
   started; where it could suggest something, ``error = suggested − actually sold``.
   Per product: MAE (mean of ``|error|``) and WAPE (``Σ|error| / Σ actually sold``);
   overall WAPE pools every product's errors the same way. An event with no similar
   history before it is not back-tested, and a WAPE over nothing sold is ``None``.
6. **Whole units.** A product counted in pieces (``whole_units``) is suggested, and
   back-tested, rounded to the nearest whole piece (halves up): nobody brings 420.6
   conchas.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Basis(StrEnum):
    """Which past events were taken as similar."""

    LOCATION = "location"
    KIND = "kind"


def last_day(start: date, duration_days: int) -> date:
    """The last day of an event of ``duration_days`` from ``start``; at most the last day
    Python's dates hold (an event saved before dates had a range may run past it)."""
    return start + timedelta(days=min(duration_days - 1, (date.max - start).days))


@dataclass(frozen=True)
class ForecastOptions:
    half_life_days: float = 365.0
    season_factor: float = 2.0
    season_months: int = 1

    def __post_init__(self) -> None:
        if self.half_life_days <= 0 or self.season_factor <= 0 or self.season_months < 0:
            raise ValueError("half-life and season factor must be above 0, months not below")


@dataclass(frozen=True)
class EventShape:
    """What the method needs to know of the event being planned."""

    kind: str
    location: str
    start_date: date
    duration_days: int


@dataclass(frozen=True)
class PastEvent:
    """A past event and, per product id, the total it sold (only products recorded)."""

    id: int
    kind: str
    location: str
    start_date: date
    duration_days: int
    sold: Mapping[int, float]

    @property
    def end_date(self) -> date:
        return last_day(self.start_date, self.duration_days)


@dataclass(frozen=True)
class BacktestPoint:
    event_id: int
    suggested: float
    actual: float

    @property
    def error(self) -> float:
        return self.suggested - self.actual


@dataclass(frozen=True)
class ProductSuggestion:
    product_id: int
    suggested: float
    events_used: int
    backtest: tuple[BacktestPoint, ...]
    mae: float | None
    wape: float | None


@dataclass(frozen=True)
class Plan:
    basis: Basis | None
    event_ids: tuple[int, ...]
    products: tuple[ProductSuggestion, ...]
    overall_wape: float | None


def _place(location: str) -> str:
    return " ".join(location.split()).casefold()


def similar_events(
    target: EventShape, history: Sequence[PastEvent]
) -> tuple[Basis | None, list[PastEvent]]:
    """The past events taken as similar to ``target``, and why (step 1)."""
    past = [event for event in history if event.end_date < target.start_date]
    here = [event for event in past if _place(event.location) == _place(target.location)]
    if here:
        return Basis.LOCATION, here
    same_kind = [event for event in past if event.kind == target.kind]
    if same_kind:
        return Basis.KIND, same_kind
    return None, []


def event_weight(past: PastEvent, target: EventShape, options: ForecastOptions) -> float:
    """How much ``past`` counts when planning ``target`` (step 3)."""
    age = (target.start_date - past.start_date).days
    weight = 0.5 ** (age / options.half_life_days)
    months_apart = abs(past.start_date.month - target.start_date.month)
    if min(months_apart, 12 - months_apart) <= options.season_months:
        weight *= options.season_factor
    return weight


def suggest(
    target: EventShape, history: Sequence[PastEvent], options: ForecastOptions
) -> tuple[Basis | None, list[PastEvent], dict[int, tuple[float, int]]]:
    """Per product id: (suggested quantity, events used) for ``target`` (steps 1–4)."""
    basis, similar = similar_events(target, history)
    totals: dict[int, list[float]] = {}
    for event in similar:
        weight = event_weight(event, target, options)
        for product_id, sold in event.sold.items():
            sums = totals.setdefault(product_id, [0.0, 0.0, 0])
            sums[0] += weight * float(sold) / event.duration_days
            sums[1] += weight
            sums[2] += 1
    suggestions = {
        product_id: (weighted / weights * target.duration_days, int(count))
        for product_id, (weighted, weights, count) in totals.items()
        if weights  # a half-life far shorter than the ages can round every weight to 0
    }
    return basis, similar, suggestions


def _wape(points: Sequence[BacktestPoint]) -> float | None:
    actual = sum(point.actual for point in points)
    return sum(abs(point.error) for point in points) / actual if actual else None


def _whole(quantity: float) -> float:
    """``quantity`` rounded to the nearest whole unit, halves up (step 6)."""
    return float(math.floor(quantity + 0.5))


def plan(
    target: EventShape,
    history: Sequence[PastEvent],
    options: ForecastOptions | None = None,
    whole_units: Collection[int] = frozenset(),
) -> Plan:
    """Suggested quantities for ``target`` with their back-test (the whole method);
    products whose id is in ``whole_units`` are counted in pieces (step 6)."""
    options = options or ForecastOptions()
    basis, similar, suggestions = suggest(target, history, options)
    earlier = {event.id: suggest(_shape(event), history, options)[2] for event in similar}
    products = []
    for product_id in sorted(suggestions):
        suggested, events_used = suggestions[product_id]
        counted = _whole if product_id in whole_units else float
        suggested = counted(suggested)
        points = tuple(
            BacktestPoint(
                event.id, counted(earlier[event.id][product_id][0]), float(event.sold[product_id])
            )
            for event in sorted(similar, key=lambda event: (event.start_date, event.id))
            if product_id in event.sold and product_id in earlier[event.id]
        )
        products.append(
            ProductSuggestion(
                product_id=product_id,
                suggested=suggested,
                events_used=events_used,
                backtest=points,
                mae=sum(abs(p.error) for p in points) / len(points) if points else None,
                wape=_wape(points),
            )
        )
    every_point = [point for product in products for point in product.backtest]
    return Plan(
        basis=basis,
        event_ids=tuple(event.id for event in similar),
        products=tuple(products),
        overall_wape=_wape(every_point),
    )


def _shape(event: PastEvent) -> EventShape:
    return EventShape(event.kind, event.location, event.start_date, event.duration_days)

"""The fairs, markets, expos and tastings the bakery went to, and the next one it plans.

``create_events`` creates, through the event services, the past events of about three
years at a handful of recurring places in Mexico City (``event_create``), the products
brought to each with how much was expected to sell (``event_item_set``) and what sold
each day (``event_sale_record``), never more than was brought. The next market is
planned too, with its products and no sales yet, so that its plan page suggests
quantities from the earlier markets at the same place.

Pan de muerto goes to events in October and November only, rosca de reyes from
December to the 6th of January, as in the orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.models import Role, User
from clientela.demo.orders import SPECS, in_season
from clientela.events.models import Event, EventKind, EventProduct, EventSale
from clientela.events.services import event_create, event_item_set, event_sale_record

if TYPE_CHECKING:
    from clientela.demo.generator import DemoBusiness

COYOACAN = "Jardín Centenario, Coyoacán"
CENTRO = "Plaza de la Constitución, Centro Histórico"
ROMA = "Plaza Río de Janeiro, Roma Norte"
POLANCO = "Parque Lincoln, Polanco"
CONDESA = "Parque México, Condesa"

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip

# What sells at an event, per day, at an average stand (pieces or packets).
DAILY_DEMAND = {
    "CON-VAI": (50, 90), "CON-CHO": (40, 80), "CUE-01": (30, 60), "ORE-01": (25, 50),
    "POL-01": (30, 60), "ROL-CAN": (20, 45), "BES-01": (15, 35), "EMP-PIN": (15, 35),
    "GAR-01": (15, 30), "GAL-MAN": (10, 25), "GAL-NUE": (8, 20), "GAL-AVE": (6, 15),
    "PAN-NAT": (4, 12), "PAY-QUE": (2, 6), "PAS-3LE": (2, 5), "BAG-01": (10, 25),
    "MUE-IND": (80, 160), "MUE-MED": (10, 25), "ROS-MED": (8, 20), "ROS-GDE": (3, 8),
}  # fmt: skip
EVERYDAY = tuple(sku for sku in DAILY_DEMAND if not SPECS[sku].season)


@dataclass(frozen=True)
class Series:
    """Events that come back at the same place: a yearly fair, a market every few weeks."""

    name: str
    kind: str
    location: str
    days: int
    scale: float  # how many people come, against an average stand
    featured: tuple[str, ...]  # always brought
    month_day: tuple[int, int] | None = None  # yearly, starting the Friday before this day
    every_weeks: int = 0  # or every so many weeks, on a Saturday
    notes: str = ""


SERIES = (
    Series(
        "Feria del Pan de Muerto",
        EventKind.FAIR,
        CENTRO,
        4,
        1.6,
        ("MUE-IND", "MUE-MED", "CON-VAI", "POL-01"),
        month_day=(10, 29),
        notes="Puesto 32, pasillo de panaderías; llevar mantel morado.",
    ),
    Series(
        "Bazar Navideño de Polanco",
        EventKind.MARKET,
        POLANCO,
        3,
        1.1,
        ("GAL-NUE", "GAL-MAN", "PAN-NAT", "ROL-CAN"),
        month_day=(12, 14),
    ),
    Series(
        "Feria de la Rosca de Reyes",
        EventKind.FAIR,
        COYOACAN,
        3,
        1.4,
        ("ROS-MED", "ROS-GDE", "CON-VAI", "CON-CHO"),
        month_day=(1, 4),  # ends by the 6th of January, while roscas are sold
        notes="Cerramos a las 21 h; la rosca grande se parte el último día.",
    ),
    Series(
        "Feria del Chocolate y el Pan",
        EventKind.FAIR,
        COYOACAN,
        2,
        1.2,
        ("CON-CHO", "ROL-CAN", "BES-01", "GAL-NUE"),
        month_day=(3, 16),
    ),
    Series(
        "Expo Pan y Café",
        EventKind.EXPO,
        POLANCO,
        3,
        1.0,
        ("CUE-01", "ORE-01", "BAG-01", "PAY-QUE"),
        month_day=(6, 7),
        notes="Stand compartido con el tostador de café; degustación a las 12 h.",
    ),
    Series(
        "Degustación de pan dulce en la Condesa",
        EventKind.TASTING,
        CONDESA,
        1,
        0.5,
        ("CON-VAI", "CUE-01", "ORE-01"),
        month_day=(9, 20),
    ),
    Series(
        "Mercado de Productores de la Roma",
        EventKind.MARKET,
        ROMA,
        2,
        0.8,
        ("CON-VAI", "CON-CHO", "CUE-01", "GAL-MAN"),
        every_weeks=10,
    ),
)
ROMA_MARKET = SERIES[-1]


def _friday_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


def _saturday_from(day: date) -> date:
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _starts(series: Series, first: date, last: date) -> list[date]:
    """The days an event of ``series`` starts between ``first`` and ``last``."""
    if series.month_day is not None:
        days = [
            _friday_before(date(year, *series.month_day))
            for year in range(first.year, last.year + 1)
        ]
    else:
        days, day = [], _saturday_from(first + timedelta(days=10))
        while day <= last:
            days.append(day)
            day += timedelta(weeks=series.every_weeks)
    return [day for day in days if first <= day <= last]


def _name(series: Series, start: date) -> str:
    if series.every_weeks:
        return f"{series.name} ({MONTHS[start.month - 1]} {start.year})"
    return f"{series.name} {start.year}"


def _in_season(sku: str, start: date, days: int) -> bool:
    season = SPECS[sku].season
    last = start + timedelta(days=days - 1)
    return in_season(season, start) and in_season(season, last)


def create_events(business: DemoBusiness) -> None:
    """The past events of ``business.history_days`` days and the next market."""
    if business.history_days <= 0:
        return
    rng = business.random("events")
    today = timezone.localdate()
    owner = next(u for u in business.users.values() if u.role == Role.OWNER)
    seller = next((u for u in business.users.values() if u.role == Role.SALES), owner)
    first = today - timedelta(days=business.history_days)
    planned = sorted(
        (start, index)
        for index, series in enumerate(SERIES)
        for start in _starts(series, first, today - timedelta(days=series.days))
    )
    events: list[Event] = []
    items: list[EventProduct] = []
    sales: list[EventSale] = []
    for start, index in planned:
        series = SERIES[index]
        event, event_items, demand = _plan_event(business, rng, series, start, owner)
        events.append(event)
        items.extend(event_items)
        for item in event_items:
            left = item.quantity_brought
            for day in event.days():
                busy = 1.3 if day.weekday() >= 5 else 1.0
                sold = round(demand[item.pk] * busy * rng.uniform(0.6, 1.3))
                sold = min(Decimal(sold), left)
                left -= sold
                sales.append(event_sale_record(actor=seller, item=item, sold_on=day, quantity=sold))
    upcoming = _saturday_from(today + timedelta(days=12))
    event, event_items, _demand = _plan_event(business, rng, ROMA_MARKET, upcoming, owner)
    events.append(event)
    items.extend(event_items)
    # Events before their products, products before their sales: `demo --reset` removes
    # the newest kind first, so sales go first, then products, then events.
    business.remember(*events)
    business.remember(*items)
    business.remember(*sales)
    business.event_count = len(events)


def _plan_event(
    business: DemoBusiness, rng: random.Random, series: Series, start: date, actor: User
) -> tuple[Event, list[EventProduct], dict[int, float]]:
    """Create the event and its products; returns them and each product's daily demand."""
    reason = _("Created by the demo")
    event = event_create(
        actor=actor,
        name=_name(series, start),
        kind=series.kind,
        location=series.location,
        start_date=start,
        duration_days=series.days,
        notes=series.notes if rng.random() < 0.5 else "",
        reason=reason,
    )
    others = [sku for sku in EVERYDAY if sku not in series.featured]
    skus = [
        sku
        for sku in (*series.featured, *rng.sample(others, rng.randint(2, 4)))
        if _in_season(sku, start, series.days)
    ]
    items, demand = [], {}
    for sku in skus:
        low, high = DAILY_DEMAND[sku]
        daily = rng.uniform(low, high) * series.scale
        expected = max(1, round(daily * series.days * rng.uniform(0.85, 1.1)))
        brought = round(expected * rng.uniform(1.1, 1.35)) + 1
        item = event_item_set(
            actor=actor,
            event=event,
            product=business.products[sku],
            quantity_brought=Decimal(brought),
            quantity_expected=Decimal(expected),
            reason=reason,
        )
        items.append(item)
        demand[item.pk] = daily
    return event, items, demand

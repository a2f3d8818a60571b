"""The bakery's products and about three years of its customers' orders.

``create_orders`` adds the product catalog through ``product_create``, plans the orders
without touching the database (``plan_orders``), then creates them oldest first through
the order services: ``order_create``, ``order_transition`` along confirmed → in
production → ready → delivered (or cancelled), ``order_update`` for renegotiations and
``payment_record`` for payments.

Who orders what:

- **weekly regulars** (a share of the shops, cafés, restaurants, hotels and
  distributors) order the same two or three products every week for part of the
  period; about a third of them stopped months ago;
- **occasional buyers** order now and then, some of them no longer;
- **seasonal buyers** (companies, people) order pan de muerto for Día de Muertos,
  cakes for Christmas and roscas for the Día de Reyes; everyone orders more then;
- pan de muerto is sold in October and November only, rosca de reyes from December to
  the 6th of January: an order holds them only when ordered and due in season.

What happens to them: old orders are delivered, mostly on their due date, some 1–5
days late, a few are cancelled with a reason; the latest ones are still open (draft,
confirmed, in production, ready). Some confirmed orders are renegotiated (a quantity or
the due date changes, with a reason). People pay cash or card, often half in advance;
businesses pay by transfer or on account, some days after delivery, so recent
deliveries and a few old ones still have a balance due.

When: everything is dated on the days of the story, not on the day the demo ran
(``story_time``). An order is placed during opening hours of its order date and
confirmed a few hours later; advance payments come with the confirmation; a
renegotiation happens on a day before the due date; production starts early on the day
it finishes; deliveries and later payments happen on their days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.models import Role, User
from clientela.core.money import money_round
from clientela.customers.models import Address
from clientela.demo.story_time import (
    StoryClock,
    at_hour,
    confirmed_at_from_history,
    story_at,
    story_time,
    timestamps_from_history,
    timestamps_set,
)
from clientela.orders.models import (
    Order,
    OrderChange,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
)
from clientela.orders.models import PaymentMethod as Method
from clientela.orders.services import (
    delivery_days_deferred,
    order_create,
    order_transition,
    order_update,
    payment_record,
    product_create,
)

if TYPE_CHECKING:
    from clientela.demo.generator import DemoBusiness

MUERTOS = "muertos"  # pan de muerto: October and November
REYES = "reyes"  # rosca de reyes: December to the 6th of January


def in_season(season: str, day: date) -> bool:
    """Whether a product of ``season`` ("" for all year) is sold on ``day``."""
    if season == MUERTOS:
        return day.month in (10, 11)
    if season == REYES:
        return day.month == 12 or (day.month == 1 and day.day <= 6)
    return True


@dataclass(frozen=True)
class ProductSpec:
    """A product of the bakery and how much of it a business or a person orders."""

    sku: str
    name: str
    category: str
    unit: str
    price: str
    tolerance: int  # lead_time_tolerance_days
    business_quantity: tuple[int, int]
    person_quantity: tuple[int, int]
    season: str = ""


SALTY, SWEET, PUFF, CAKES = "Pan salado", "Pan dulce", "Hojaldre", "Pasteles y postres"
COOKIES, LOAVES, SEASONAL = "Galletas", "Pan de caja", "Pan de temporada"

PRODUCTS = (
    ProductSpec("BOL-01", "Bolillo", SALTY, "pza", "3.50", 0, (60, 400), (5, 20)),
    ProductSpec("TEL-01", "Telera", SALTY, "pza", "4.00", 0, (40, 200), (4, 12)),
    ProductSpec("BAG-01", "Baguette", SALTY, "pza", "32.00", 0, (10, 60), (1, 3)),
    ProductSpec("CHA-01", "Pan chapata", SALTY, "pza", "18.50", 0, (10, 50), (2, 6)),
    ProductSpec("BIS-01", "Bisquet", SALTY, "pza", "15.00", 1, (20, 80), (2, 8)),
    ProductSpec("CON-VAI", "Concha de vainilla", SWEET, "pza", "14.00", 0, (20, 120), (2, 10)),
    ProductSpec("CON-CHO", "Concha de chocolate", SWEET, "pza", "14.00", 0, (20, 100), (2, 10)),
    ProductSpec("CUE-01", "Cuerno de mantequilla", PUFF, "pza", "16.50", 0, (20, 100), (2, 8)),
    ProductSpec("ORE-01", "Oreja", PUFF, "pza", "15.00", 1, (15, 80), (2, 6)),
    ProductSpec("POL-01", "Polvorón", SWEET, "pza", "10.00", 2, (20, 120), (3, 12)),
    ProductSpec("DON-01", "Dona glaseada", SWEET, "pza", "18.00", 0, (15, 80), (2, 8)),
    ProductSpec("GAR-01", "Garibaldi", SWEET, "pza", "17.00", 1, (15, 60), (2, 6)),
    ProductSpec("EMP-PIN", "Empanada de piña", SWEET, "pza", "16.00", 1, (15, 60), (2, 6)),
    ProductSpec("COC-01", "Cocol de anís", SWEET, "pza", "12.00", 1, (20, 80), (2, 8)),
    ProductSpec("CHI-01", "Chilindrina", SWEET, "pza", "13.00", 0, (15, 80), (2, 8)),
    ProductSpec("MAN-01", "Mantecada", SWEET, "pza", "12.50", 1, (20, 100), (2, 10)),
    ProductSpec("ROL-CAN", "Rol de canela", SWEET, "pza", "28.00", 0, (10, 50), (2, 6)),
    ProductSpec("BES-01", "Beso", SWEET, "pza", "16.00", 1, (10, 50), (2, 6)),
    ProductSpec("BIG-01", "Bigote", PUFF, "pza", "14.50", 1, (10, 50), (2, 6)),
    ProductSpec("PAS-3LE", "Pastel de tres leches (1 kg)", CAKES, "pza", "420.00", 1, (1, 6), (1, 1)),
    ProductSpec("PAS-CHO", "Pastel de chocolate (1 kg)", CAKES, "pza", "450.00", 1, (1, 5), (1, 1)),
    ProductSpec("PAY-QUE", "Pay de queso", CAKES, "pza", "360.00", 1, (1, 6), (1, 1)),
    ProductSpec("NIN-ENV", "Niño envuelto", CAKES, "pza", "185.00", 1, (1, 6), (1, 2)),
    ProductSpec("PAN-NAT", "Panqué de nata", CAKES, "pza", "95.00", 1, (2, 12), (1, 2)),
    ProductSpec("GAL-MAN", "Galletas de mantequilla (250 g)", COOKIES, "paquete", "65.00", 2, (5, 40), (1, 3)),
    ProductSpec("GAL-NUE", "Galletas de nuez (250 g)", COOKIES, "paquete", "78.00", 2, (5, 30), (1, 3)),
    ProductSpec("GAL-AVE", "Galletas de avena (250 g)", COOKIES, "paquete", "59.90", 2, (5, 30), (1, 3)),
    ProductSpec("CAJ-BCO", "Pan de caja blanco (680 g)", LOAVES, "pza", "58.00", 1, (5, 40), (1, 2)),
    ProductSpec("CAJ-INT", "Pan de caja integral (680 g)", LOAVES, "pza", "64.50", 1, (5, 30), (1, 2)),
    ProductSpec("MUE-IND", "Pan de muerto individual", SEASONAL, "pza", "22.00", 0, (20, 150), (2, 8), MUERTOS),
    ProductSpec("MUE-MED", "Pan de muerto mediano (6 personas)", SEASONAL, "pza", "145.00", 0, (4, 30), (1, 2), MUERTOS),
    ProductSpec("ROS-MED", "Rosca de reyes mediana (12 personas)", SEASONAL, "pza", "380.00", 0, (2, 12), (1, 1), REYES),
    ProductSpec("ROS-GDE", "Rosca de reyes grande (25 personas)", SEASONAL, "pza", "650.00", 0, (1, 6), (1, 1), REYES),
)  # fmt: skip
SPECS = {spec.sku: spec for spec in PRODUCTS}

# What each kind of customer usually orders, the most usual first.
PREFERENCES = {
    "shop": ("BOL-01", "TEL-01", "CON-VAI", "CON-CHO", "CAJ-BCO", "DON-01", "MAN-01",
             "CAJ-INT", "POL-01", "GAL-MAN", "ORE-01", "EMP-PIN", "COC-01"),
    "cafe": ("CUE-01", "CON-VAI", "ROL-CAN", "CON-CHO", "ORE-01", "BAG-01", "PAN-NAT",
             "PAY-QUE", "GAL-NUE", "BES-01", "CHA-01", "BIG-01"),
    "restaurant": ("BOL-01", "TEL-01", "BAG-01", "CHA-01", "BIS-01", "PAS-3LE", "PAY-QUE",
                   "PAS-CHO"),
    "hotel": ("CUE-01", "BIS-01", "CON-VAI", "BOL-01", "BAG-01", "ROL-CAN", "DON-01",
              "PAN-NAT", "CAJ-BCO", "CHA-01"),
    "distributor": ("BOL-01", "TEL-01", "CAJ-BCO", "CAJ-INT", "GAL-MAN", "GAL-NUE", "POL-01",
                    "MAN-01", "CON-VAI", "GAL-AVE"),
    "company": ("PAS-3LE", "PAS-CHO", "GAL-MAN", "GAL-NUE", "CON-VAI", "CUE-01", "NIN-ENV",
                "PAN-NAT"),
    "person": ("PAS-3LE", "PAS-CHO", "PAY-QUE", "NIN-ENV", "CON-VAI", "BOL-01", "GAL-MAN",
               "PAN-NAT", "CUE-01"),
}  # fmt: skip
# Shares of each kind of customer that are weekly regulars, occasional or seasonal buyers;
# the rest never ordered.
PROFILES = {
    "shop": (0.18, 0.45, 0.10),
    "cafe": (0.18, 0.45, 0.10),
    "restaurant": (0.15, 0.45, 0.15),
    "hotel": (0.25, 0.40, 0.15),
    "distributor": (0.35, 0.45, 0.0),
    "company": (0.0, 0.30, 0.45),
    "person": (0.0, 0.12, 0.55),
}
DISCOUNTS = {"distributor": 10, "hotel": 5}
# How each kind of customer pays: (method, weight).
PAYMENT_METHODS = {
    "person": ((Method.CASH, 55), (Method.CARD, 30), (Method.TRANSFER, 15)),
    "shop": ((Method.CASH, 50), (Method.TRANSFER, 30), (Method.CREDIT, 20)),
    "cafe": ((Method.TRANSFER, 45), (Method.CARD, 20), (Method.CASH, 20), (Method.CREDIT, 15)),
    "restaurant": (
        (Method.TRANSFER, 45),
        (Method.CARD, 20),
        (Method.CASH, 20),
        (Method.CREDIT, 15),
    ),
}
BIG_ACCOUNT_METHODS = ((Method.TRANSFER, 60), (Method.CREDIT, 40))


@dataclass(frozen=True)
class Peak:
    """A season people order for: orders between two days, due on a few days after."""

    name: str
    ordered: tuple[tuple[int, int], tuple[int, int]]  # (month, day) of the first and last
    due: tuple[tuple[int, int], tuple[int, int]]
    skus: tuple[str, ...]


PEAKS = (
    Peak(MUERTOS, ((10, 18), (10, 30)), ((10, 31), (11, 2)), ("MUE-IND", "MUE-MED")),
    Peak(
        "navidad",
        ((12, 8), (12, 20)),
        ((12, 21), (12, 24)),
        ("PAS-3LE", "PAS-CHO", "NIN-ENV", "GAL-NUE", "GAL-MAN", "PAN-NAT"),
    ),
    Peak(REYES, ((12, 27), (1, 3)), ((1, 4), (1, 6)), ("ROS-MED", "ROS-GDE")),
)

RENEGOTIATION_REASONS = {
    "more": (
        "El cliente pidió más para un evento del fin de semana.",
        "Aumentan el pedido: tienen más reservaciones de lo previsto.",
        "Llamó el encargado: necesitan más por la quincena.",
    ),
    "less": (
        "El cliente reduce el pedido: cierran un día por mantenimiento.",
        "Bajan la cantidad; les sobró de la semana pasada.",
        "Menos comensales de lo previsto; ajustan el pedido.",
    ),
    "later": (
        "El cliente pide recibirlo más tarde: no habrá quien reciba.",
        "Cambian la fecha de entrega por un puente.",
        "Nos falta harina de la buena; acordamos entregar después.",
    ),
    "earlier": ("El cliente lo necesita un día antes.",),
}
CANCEL_REASONS = (
    "El cliente canceló: se suspendió su evento.",
    "No se pudo confirmar el pago.",
    "Pedido duplicado por error.",
    "El cliente cerró temporalmente su local.",
    "Cambió de proveedor para esta fecha.",
)


# --- the plan -------------------------------------------------------------------------


@dataclass
class OrderPlan:
    """One order to create and what happens to it."""

    customer: int  # index in DemoBusiness.customers
    segment: str
    order_date: date
    due_date: date  # the final due date (after a renegotiation of it)
    lines: list[tuple[str, int, int]]  # (sku, quantity, discount percent)
    first_due: date | None = None  # the due date first agreed, when renegotiated
    new_quantity: tuple[str, int] | None = None  # renegotiated (sku, quantity)
    renegotiation_reason: str = ""
    status: str = OrderStatus.DELIVERED
    cancelled_from: str = ""  # the status in which it was cancelled
    cancel_reason: str = ""
    finished_on: date | None = None
    delivered_on: date | None = None
    # (share of the balance, method, day, before production): paid in this order
    payments: list[tuple[Decimal, str, date, bool]] = field(default_factory=list)

    @property
    def person(self) -> bool:
        return self.segment == "person"

    @property
    def seasonal(self) -> bool:
        return any(SPECS[sku].season for sku, _q, _d in self.lines)


def _weighted(rng: random.Random, options) -> str:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _quantity(rng: random.Random, spec: ProductSpec, person: bool, scale: float = 1.0) -> int:
    low, high = spec.person_quantity if person else spec.business_quantity
    quantity = max(1, round(rng.randint(low, high) * scale))
    if quantity >= 30:
        quantity = round(quantity / 5) * 5
    return quantity


def _customer_size(rng: random.Random) -> float:
    """How much more (or less) than usual a customer orders each time: spend differs
    between customers, not only between one customer's orders."""
    return rng.lognormvariate(0.0, 0.6)


def _on(year: int, month_day: tuple[int, int]) -> date:
    return date(year, *month_day)


def _in_peak(day: date) -> bool:
    """Whether ``day`` is in the weeks before Día de Muertos, Christmas or Reyes."""
    for peak in PEAKS:
        for year in (day.year - 1, day.year):
            first = _on(year, peak.ordered[0])
            last = _on(year + (peak.due[1][0] < peak.ordered[0][0]), peak.due[1])
            if first <= day <= last:
                return True
    return False


class _OrderPlanner:
    def __init__(self, rng: random.Random, today: date, history_days: int):
        self.rng = rng
        self.today = today
        self.start = today - timedelta(days=history_days)
        self.plans: list[OrderPlan] = []

    def _seasonal_extra(self, order_date: date, due: date) -> list[str]:
        return [
            spec.sku
            for spec in PRODUCTS
            if spec.season and in_season(spec.season, order_date) and in_season(spec.season, due)
        ]

    def _add(self, index: int, segment: str, order_date: date, due: date, lines) -> None:
        discount = DISCOUNTS.get(segment, 0)
        self.plans.append(
            OrderPlan(
                customer=index,
                segment=segment,
                order_date=order_date,
                due_date=due,
                lines=[(sku, quantity, discount) for sku, quantity in lines],
            )
        )

    def regular(self, index: int, segment: str) -> None:
        """Every week the same few products, for 12 to 40 weeks; some stopped long ago."""
        rng, today = self.rng, self.today
        preferences = PREFERENCES[segment]
        basket = rng.sample(preferences[:6], rng.randint(2, 3))
        base = {sku: _quantity(rng, SPECS[sku], False) for sku in basket}
        weeks = rng.randint(12, 36)
        if rng.random() < 0.6:
            end = today + timedelta(days=7)
        else:
            end = today - timedelta(days=rng.randint(60, 800))
        lead = rng.randint(3, 8)
        due = max(self.start + timedelta(days=lead), end - timedelta(weeks=weeks))
        due += timedelta(days=(rng.randrange(6) - due.weekday()) % 7)  # Monday to Saturday
        while due <= end:
            ordered = due - timedelta(days=lead)
            if ordered > today:
                break
            if rng.random() < 0.08:  # a week without an order
                due += timedelta(weeks=1)
                continue
            scale = 1.4 if _in_peak(due) else 1.0
            lines = []
            for sku in basket:
                if rng.random() < 0.1:  # this week something else instead
                    sku = rng.choice([s for s in preferences if s not in basket])
                    quantity = _quantity(rng, SPECS[sku], False)
                else:
                    quantity = base[sku] * rng.uniform(0.8, 1.2) * scale
                    quantity = max(
                        1, round(quantity / 5) * 5 if quantity >= 30 else round(quantity)
                    )
                if sku not in (s for s, _q in lines):
                    lines.append((sku, quantity))
            extra = self._seasonal_extra(ordered, due)
            if extra and rng.random() < 0.7:
                sku = rng.choice(extra)
                lines.append((sku, _quantity(rng, SPECS[sku], False)))
            self._add(index, segment, ordered, due, lines)
            due += timedelta(weeks=1)

    def _some_lines(self, segment: str, ordered: date, due: date, count: int, size: float) -> list:
        rng, person = self.rng, segment == "person"
        preferences = PREFERENCES[segment]
        weights = [len(preferences) - n for n in range(len(preferences))]
        skus: list[str] = []
        while len(skus) < count:
            sku = rng.choices(preferences, weights=weights)[0]
            if sku not in skus:
                skus.append(sku)
        extra = self._seasonal_extra(ordered, due)
        if extra and rng.random() < 0.5:
            skus[-1] = rng.choice(extra)
        return [(sku, _quantity(rng, SPECS[sku], person, size)) for sku in skus]

    def occasional(self, index: int, segment: str) -> None:
        """An order every month or three, from some day on; about a third stopped. Some
        customers habitually order more than others (``size``)."""
        rng, today = self.rng, self.today
        size = _customer_size(rng)
        history = (today - self.start).days
        day = self.start + timedelta(days=rng.randint(0, history * 2 // 3))
        end = today - timedelta(days=rng.randint(60, 400)) if rng.random() < 0.3 else today
        mean_gap = rng.uniform(60, 150)
        count = (1, 2) if segment == "person" else (2, 3)
        while day <= end:
            due = day + timedelta(days=rng.randint(1, 5))
            lines = self._some_lines(segment, day, due, rng.randint(*count), size)
            self._add(index, segment, day, due, lines)
            day += timedelta(days=max(7, round(rng.expovariate(1 / mean_gap))))
        self.seasonal(index, segment, share=0.25, until=end, size=size)

    def seasonal(
        self,
        index: int,
        segment: str,
        share: float = 0.6,
        until: date | None = None,
        size: float | None = None,
    ) -> None:
        """Orders for Día de Muertos, Christmas and Reyes; people also order a cake or two."""
        rng, today = self.rng, self.today
        until = until or today
        size = _customer_size(rng) if size is None else size
        person = segment == "person"
        for year in range(self.start.year - 1, today.year + 1):
            for peak in PEAKS:
                first = _on(year, peak.ordered[0])
                last = _on(year + (peak.ordered[1][0] < peak.ordered[0][0]), peak.ordered[1])
                first, last = max(first, self.start), min(last, until)
                if first > last or rng.random() >= share:
                    continue
                ordered = first + timedelta(days=rng.randint(0, (last - first).days))
                due_year = year + (peak.due[0][0] < peak.ordered[0][0])
                due_first = max(_on(due_year, peak.due[0]), ordered)
                due_last = _on(due_year, peak.due[1])
                due = due_first + timedelta(days=rng.randint(0, (due_last - due_first).days))
                skus = rng.sample(peak.skus, min(len(peak.skus), rng.randint(1, 2)))
                lines = [(sku, _quantity(rng, SPECS[sku], person, size)) for sku in skus]
                if not person and rng.random() < 0.5:
                    other = rng.choice([s for s in PREFERENCES[segment][:5] if s not in skus])
                    lines.append((other, _quantity(rng, SPECS[other], person, size)))
                self._add(index, segment, ordered, due, lines)
        if person and until > self.start:
            for _birthday in range(rng.randint(0, 3)):
                ordered = self.start + timedelta(days=rng.randint(0, (until - self.start).days))
                due = ordered + timedelta(days=rng.randint(1, 4))
                sku = rng.choice(("PAS-3LE", "PAS-CHO", "PAY-QUE", "NIN-ENV"))
                self._add(index, segment, ordered, due, [(sku, 1)])


def plan_orders(
    *, segments: list[str], skip: set[int], seed: int, today: date, history_days: int
) -> list[OrderPlan]:
    """The orders of the customers (``segments[i]`` is customer ``i``'s), oldest first."""
    rng = random.Random(f"{seed}:orders")
    planner = _OrderPlanner(rng, today, history_days)
    for index, segment in enumerate(segments):
        regular, occasional, seasonal = PROFILES[segment]
        draw = rng.random()
        if index in skip:
            continue
        if draw < regular:
            planner.regular(index, segment)
        elif draw < regular + occasional:
            planner.occasional(index, segment)
        elif draw < regular + occasional + seasonal:
            planner.seasonal(index, segment)
    plans = sorted(planner.plans, key=lambda p: (p.order_date, p.customer, p.due_date))
    for plan in plans:
        _renegotiation(rng, plan)
    _fates(rng, plans, today)
    for plan in plans:
        _payments(rng, plan, today)
    return plans


def _renegotiation(rng: random.Random, plan: OrderPlan) -> None:
    """About one order in fifteen changes after it is confirmed."""
    if rng.random() >= 0.07:
        return
    if not plan.seasonal and rng.random() < 0.4:
        if rng.random() < 0.25 and plan.due_date > plan.order_date:
            new_due, why = plan.due_date - timedelta(days=1), "earlier"
        else:
            new_due, why = plan.due_date + timedelta(days=rng.randint(1, 3)), "later"
        plan.first_due, plan.due_date = plan.due_date, new_due
    else:
        sku, quantity, _discount = rng.choice(plan.lines)
        if quantity > 1 and rng.random() < 0.4:
            new, why = max(1, round(quantity * rng.uniform(0.5, 0.8))), "less"
        else:
            new, why = max(quantity + 1, round(quantity * rng.uniform(1.2, 1.6))), "more"
        plan.new_quantity = (sku, new)
    plan.renegotiation_reason = rng.choice(RENEGOTIATION_REASONS[why])


OPEN_LADDER = (  # the latest orders, furthest due date first: (status, share)
    (OrderStatus.DRAFT, 0.15),
    (OrderStatus.CONFIRMED, 0.30),
    (OrderStatus.IN_PRODUCTION, 0.20),
    (OrderStatus.READY, 0.15),
    (OrderStatus.DELIVERED, 0.20),
)


def _fates(rng: random.Random, plans: list[OrderPlan], today: date) -> None:
    """Old orders are delivered (some late) or cancelled; the latest ones are still open
    (those due from two days ago on, and at least one per open status however small the
    business)."""
    recent = today - timedelta(days=2)
    newest_first = sorted(plans, key=lambda p: (p.due_date, p.order_date, p.customer), reverse=True)
    latest = [p for p in newest_first if p.due_date >= recent]
    latest = newest_first[: max(len(latest), len(OPEN_LADDER))]
    still_open = {id(plan) for plan in latest}
    for plan in plans:
        if id(plan) in still_open:
            continue
        if rng.random() < 0.03:
            plan.status = OrderStatus.CANCELLED
            plan.cancelled_from = _weighted(
                rng,
                (
                    (OrderStatus.DRAFT, 2),
                    (OrderStatus.CONFIRMED, 3),
                    (OrderStatus.IN_PRODUCTION, 1),
                ),
            )
            plan.cancel_reason = rng.choice(CANCEL_REASONS)
            continue
        delay = 0
        if rng.random() < 0.10:
            delay = rng.randint(1, 5)
        elif rng.random() < 0.05:
            delay = -1
        plan.delivered_on = min(today, max(plan.order_date, plan.due_date + timedelta(days=delay)))
        early = plan.delivered_on - timedelta(days=1)
        plan.finished_on = (
            early if early >= plan.order_date and rng.random() < 0.6 else plan.delivered_on
        )
    counts = [max(1, round(len(latest) * share)) for _status, share in OPEN_LADDER]
    counts[1] += len(latest) - sum(counts)  # what rounding left over goes to "confirmed"
    statuses = [s for (s, _share), n in zip(OPEN_LADDER, counts, strict=True) for _ in range(n)]
    for plan, status in zip(latest, statuses, strict=False):
        plan.status = status
        if status == OrderStatus.READY:
            plan.finished_on = min(today, max(plan.order_date, plan.due_date - timedelta(days=1)))
        elif status == OrderStatus.DELIVERED:
            plan.delivered_on = min(today, max(plan.order_date, plan.due_date))
            plan.finished_on = plan.delivered_on
    for plan in plans:
        if plan.status == OrderStatus.DRAFT or plan.cancelled_from == OrderStatus.DRAFT:
            plan.first_due, plan.new_quantity, plan.renegotiation_reason = None, None, ""
        if plan.first_due is not None and plan.first_due == plan.due_date:
            plan.first_due = None


def _payments(rng: random.Random, plan: OrderPlan, today: date) -> None:
    """How the order is paid: shares of the balance, by whom, when."""
    if plan.status == OrderStatus.DRAFT or plan.cancelled_from == OrderStatus.DRAFT:
        return
    methods = PAYMENT_METHODS.get(plan.segment, BIG_ACCOUNT_METHODS)
    method = _weighted(rng, methods)
    half, everything = Decimal("0.5"), Decimal(1)
    if plan.person:
        if rng.random() < 0.5 or plan.status == OrderStatus.CANCELLED:
            plan.payments.append((half, method, plan.order_date, True))
        if plan.delivered_on and plan.status != OrderStatus.CANCELLED:
            plan.payments.append((everything, method, plan.delivered_on, False))
        return
    if plan.status == OrderStatus.CANCELLED:
        return
    if plan.delivered_on is None:
        if method == Method.TRANSFER and rng.random() < 0.1:  # paid in advance
            plan.payments.append((everything, method, plan.order_date, True))
        return
    if method in (Method.CASH, Method.CARD):
        paid_on = plan.delivered_on
    elif method == Method.TRANSFER:
        paid_on = plan.delivered_on + timedelta(days=rng.randint(0, 20))
    else:
        paid_on = plan.delivered_on + timedelta(days=rng.randint(10, 40))
    if paid_on > today:
        return  # not yet: a balance due
    share = everything if rng.random() >= 0.04 else Decimal(rng.choice(("0.5", "0.7")))
    plan.payments.append((share, method, paid_on, False))


# --- creating it ----------------------------------------------------------------------


def create_products(business: DemoBusiness, actor: User | None) -> None:
    """The catalog, dated a month before the first orders."""
    reason = _("Created by the demo")
    opened = timezone.localdate() - timedelta(days=max(business.history_days, 0) + 30)
    for minute, spec in enumerate(PRODUCTS):
        story_at(at_hour(opened, 10 + minute / 60))
        product = product_create(
            actor=actor,
            reason=reason,
            sku=spec.sku,
            name=spec.name,
            category=spec.category,
            unit=spec.unit,
            unit_price=Decimal(spec.price),
            lead_time_tolerance_days=spec.tolerance,
        )
        business.products[product.sku] = product
    story_at(None)
    business.remember(*business.products.values())
    timestamps_from_history(Product, [product.pk for product in business.products.values()])


@dataclass
class _Story:
    """When the steps of the orders happened, to date their rows once they exist."""

    clock: StoryClock
    today: date
    renegotiated: dict[int, datetime] = field(default_factory=dict)  # order id → moment

    def at(self, moment: datetime) -> datetime:
        story_at(moment)
        return moment


def create_orders(business: DemoBusiness) -> None:
    """The product catalog, then the orders planned with the customers
    (``business.order_plans``, from ``plan_orders``), oldest first; the delivery figures
    are counted once, at the end."""
    with story_time(), delivery_days_deferred():
        _create_orders(business)


def _create_orders(business: DemoBusiness) -> None:
    owner = next(u for u in business.users.values() if u.role == Role.OWNER)
    create_products(business, owner)
    if business.history_days <= 0:
        return
    plans = business.order_plans
    orders = _orders_from_plans(business, plans, business.random("order-times"))
    business.order_count = len(orders)


def orders_add(business: DemoBusiness, plans: list[OrderPlan], rng: random.Random) -> list[Order]:
    """Create more orders of the story (a campaign's conversions) from ``plans``, through
    the same services and dated the same way as the book's; they count in
    ``business.order_count`` and ``demo --reset`` removes them."""
    with story_time(), delivery_days_deferred():
        orders = _orders_from_plans(business, plans, rng)
    business.order_count += len(orders)
    return orders


def _orders_from_plans(
    business: DemoBusiness, plans: list[OrderPlan], rng: random.Random
) -> list[Order]:
    """Create ``plans`` (oldest first) for the customers they name, each by its owner (or
    the business's owner), date them on the days of the story and remember them."""
    owner = next(u for u in business.users.values() if u.role == Role.OWNER)
    sellers = {u.pk: u for u in business.users.values() if u.role in (Role.OWNER, Role.SALES)}
    addresses = {
        address.customer_id: address
        for address in Address.objects.filter(
            customer__in={business.customers[plan.customer].pk for plan in plans},
            is_default=True,
        ).order_by("id")
    }
    story = _Story(StoryClock(rng, timezone.now()), timezone.localdate())
    orders: list[Order] = []
    payments: list[Payment] = []
    for plan in plans:
        customer = business.customers[plan.customer]
        actor = sellers.get(customer.owner_id, owner)
        order, paid = _create_order(
            business, plan, customer, actor, addresses.get(customer.pk), story
        )
        orders.append(order)
        payments.extend(paid)
    story_at(None)
    order_ids = [order.pk for order in orders]
    lines: list[OrderLine] = []
    changes: list[OrderChange] = []
    for start in range(0, len(order_ids), 500):
        batch = order_ids[start : start + 500]
        lines.extend(OrderLine.objects.filter(order_id__in=batch).only("pk").order_by("pk"))
        changes.extend(
            OrderChange.objects.filter(order_id__in=batch).only("pk", "order_id").order_by("pk")
        )
    _date_the_story(story, order_ids, lines, changes, payments)
    # Remembered in this order so that `demo --reset` removes payments, changes and lines
    # before their orders, and orders before the products and customers they point to.
    business.remember(*orders)
    business.remember(*lines)
    business.remember(*changes)
    business.remember(*payments)
    return orders


def _date_the_story(
    story: _Story,
    order_ids: list[int],
    lines: list[OrderLine],
    changes: list[OrderChange],
    payments: list[Payment],
) -> None:
    """Date the rows the services stamped with the present by the moments of the story.

    The history records already carry them: the rows take theirs from there.
    """
    confirmed_at_from_history(Order, order_ids)
    timestamps_from_history(Order, order_ids)
    timestamps_from_history(OrderLine, [line.pk for line in lines])
    timestamps_from_history(Payment, [payment.pk for payment in payments])
    timestamps_set(
        OrderChange,
        {
            change.pk: {"created_at": moment, "updated_at": moment}
            for change in changes
            if (moment := story.renegotiated.get(change.order_id))
        },
    )


def _renegotiation_day(rng: random.Random, plan: OrderPlan, latest: date) -> date:
    """A day from the order date to the day before either due date, not after ``latest``."""
    first_due = min(plan.first_due or plan.due_date, plan.due_date)
    last = min(first_due - timedelta(days=1), latest)
    if last <= plan.order_date:
        return plan.order_date
    return plan.order_date + timedelta(days=rng.randint(0, (last - plan.order_date).days))


def _create_order(
    business, plan: OrderPlan, customer, actor, address, story: _Story
) -> tuple[Order, list]:
    products = business.products
    reason = _("Created by the demo")
    clock = story.clock
    clock.begin()
    story.at(clock.on(plan.order_date))
    order = order_create(
        actor=actor,
        customer=customer,
        order_date=plan.order_date,
        due_date=plan.first_due or plan.due_date,
        delivery_address=address,
        lines=[
            {"product": products[sku], "quantity": quantity, "discount_percent": discount}
            for sku, quantity, discount in plan.lines
        ],
        reason=reason,
    )
    payments: list[Payment] = []

    def move(to: str, on: date | None = None, why: str = "") -> None:
        order_transition(actor=actor, order=order, version=order.version, to=to, on=on, reason=why)

    def cancel() -> None:
        """Cancelled on a day between the last step and the due date (not after today)."""
        start = timezone.localdate(clock.last)
        end = max(start, min(plan.due_date, story.today))
        story.at(clock.on(start + timedelta(days=clock.rng.randint(0, (end - start).days))))
        move(OrderStatus.CANCELLED, why=plan.cancel_reason)

    def pay(before_production: bool) -> None:
        for share, method, paid_on, early in plan.payments:
            if early != before_production:
                continue
            amount = min(order.balance, money_round(order.balance * share, order.currency))
            if amount <= 0:
                continue
            # Paid with the confirmation, or during the day it was paid on.
            story.at(clock.after((2, 30)) if before_production else clock.on(paid_on, (9, 19)))
            reference = (
                f"SPEI {plan.customer:04d}{order.pk:06d}" if method == Method.TRANSFER else ""
            )
            payments.append(
                payment_record(
                    actor=actor,
                    order=order,
                    amount=amount,
                    method=method,
                    paid_on=paid_on,
                    reference=reference,
                )
            )

    final = plan.cancelled_from or plan.status
    if final == OrderStatus.DRAFT:
        if plan.status == OrderStatus.CANCELLED:
            cancel()
        return order, payments
    story.at(clock.after((30, 240)))  # confirmed a few hours later
    move(OrderStatus.CONFIRMED)
    pay(before_production=True)
    # Bakers start early on the day production finishes (or the day before it is due).
    started = plan.finished_on or max(
        plan.order_date, min(plan.due_date - timedelta(days=1), story.today)
    )
    if plan.renegotiation_reason:
        latest = story.today if final == OrderStatus.CONFIRMED else started - timedelta(days=1)
        day = _renegotiation_day(clock.rng, plan, min(latest, story.today))
        story.renegotiated[order.pk] = story.at(clock.on(day))
        changes: dict = {}
        if plan.first_due is not None:
            changes["due_date"] = plan.due_date
        if plan.new_quantity is not None:
            changed_sku, new_quantity = plan.new_quantity
            changes["lines"] = [
                {
                    "product": products[sku],
                    "quantity": new_quantity if sku == changed_sku else quantity,
                    "discount_percent": discount,
                }
                for sku, quantity, discount in plan.lines
            ]
        order_update(
            actor=actor,
            order=order,
            version=order.version,
            reason=plan.renegotiation_reason,
            **changes,
        )
    if final == OrderStatus.CONFIRMED:
        if plan.status == OrderStatus.CANCELLED:
            cancel()
        return order, payments
    story.at(clock.on(started, (4, 8)))
    move(OrderStatus.IN_PRODUCTION)
    if final == OrderStatus.IN_PRODUCTION:
        if plan.status == OrderStatus.CANCELLED:
            cancel()
        return order, payments
    story.at(clock.on(plan.finished_on, (6, 13)))
    move(OrderStatus.READY, on=plan.finished_on)
    if final == OrderStatus.READY:
        return order, payments
    story.at(clock.on(plan.delivered_on, (8, 18)))
    move(OrderStatus.DELIVERED, on=plan.delivered_on)
    pay(before_production=False)
    return order, payments

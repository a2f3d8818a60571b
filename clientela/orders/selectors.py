"""Reads of the order book, scoped to what the user may see, and the lead-time figures.

Rules the figures follow:

- An order is *bought* from confirmation on: drafts and cancelled orders are not
  purchases. *Owing* orders are bought, not cancelled, and have a balance above zero.
- *Days late* of a delivered order is ``delivered_on − due_date``, counted as 0 when
  delivered on or before the due date; the means are over all delivered orders.
- An order is *on time* when it is no more days late than its tolerance. Per product
  the tolerance is that product's ``lead_time_tolerance_days``; for a whole order (per
  customer, per month) it is the smallest tolerance among its products, so an order is
  on time only if it is on time for every product in it.
- The lead-time report covers the orders *delivered* between ``date_from`` and
  ``date_to`` (inclusive); "month" is the month of delivery.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth

from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.customers.matching import search_terms
from clientela.customers.models import Customer
from clientela.orders.models import (
    BOUGHT,
    OWING,
    Order,
    OrderChange,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
)

GROUPS = ("product", "customer", "month")


class DaysBetween(Func):
    """Whole days from the date ``start`` to the date ``end`` (negative when before)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


# --- products -----------------------------------------------------------------------


def product_list(
    *, search: str = "", category: str = "", active: bool | None = True
) -> QuerySet[Product]:
    """Products whose SKU or name contains ``search``; ``active=None`` lists all."""
    queryset = Product.objects.all()
    if search.strip():
        term = search.strip()
        queryset = queryset.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    if category:
        queryset = queryset.filter(category__iexact=category)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.order_by("name", "id")


def product_get(*, pk: int) -> Product:
    """One product; raises Product.DoesNotExist."""
    return Product.objects.get(pk=pk)


# --- orders -------------------------------------------------------------------------


def order_scope(*, user: User) -> QuerySet[Order]:
    """The orders ``user`` may see."""
    queryset = Order.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset


def order_list(
    *,
    user: User,
    status: str | None = None,
    customer: Customer | int | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    owing: bool = False,
    search: str = "",
) -> QuerySet[Order]:
    """Orders matching the filters, with customer, address and lines read.

    ``status="open"`` is any status not delivered nor cancelled; ``search`` is an order
    number or words the customer search finds. Newest first; money owed (``owing``)
    earliest due first.
    """
    queryset = order_scope(user=user)
    if status == "open":
        queryset = queryset.exclude(status__in=[OrderStatus.DELIVERED, OrderStatus.CANCELLED])
    elif status:
        queryset = queryset.filter(status=status)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if due_from:
        queryset = queryset.filter(due_date__gte=due_from)
    if due_to:
        queryset = queryset.filter(due_date__lte=due_to)
    if owing:
        queryset = queryset.filter(OWING)
    text = search.strip().lstrip("#")
    if text.isdigit() and len(text) < 10:
        queryset = queryset.filter(pk=int(text))
    else:
        for term in search_terms(search):
            queryset = queryset.filter(customer__search_document__contains=term)
    return (
        queryset.select_related("customer", "delivery_address")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
        .order_by(*(("due_date", "id") if owing else ("-order_date", "-id")))
    )


def orders_owing(*, user: User) -> QuerySet[Order]:
    """Bought, not cancelled orders with a balance due, the oldest due date first."""
    return order_list(user=user, owing=True)


def product_categories() -> list[str]:
    """The categories products use, A to Z."""
    return list(
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def order_get(*, user: User, pk: int) -> Order:
    """One order the user may see, with its lines, payments and changes; raises DoesNotExist."""
    return (
        order_scope(user=user)
        .select_related("customer", "delivery_address", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
            Prefetch("changes", queryset=OrderChange.objects.select_related("changed_by")),
        )
        .get(pk=pk)
    )


# --- figures ------------------------------------------------------------------------


def _order_tolerance() -> Coalesce:
    """The smallest delivery tolerance among an order's products."""
    smallest = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(days=Min("product__lead_time_tolerance_days"))
        .values("days")
    )
    return Coalesce(Subquery(smallest, output_field=IntegerField()), Value(0))


def _delivery_figures(prefix: str = "") -> dict:
    """Aggregates over delivered rows annotated with ``late`` and ``tolerance``."""
    delivered = f"{prefix}delivered_on"
    return {
        "delivered": Count("pk"),
        "on_time": Sum(Case(When(late__lte=F("tolerance"), then=1), default=0)),
        "mean_days_late": Avg(Greatest(F("late"), Value(0))),
        "max_days_late": Max(Greatest(F("late"), Value(0))),
        "mean_production_days": Avg(
            DaysBetween(F(delivered), F(f"{prefix}production_finished_on"))
        ),
    }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class OrderSummary:
    """A customer's orders at a glance.

    ``order_count`` and ``total_bought`` count bought orders (confirmed up to
    delivered, not drafts nor cancelled); the lead-time figures count delivered ones.
    """

    order_count: int
    total_bought: Decimal
    last_order_date: date | None
    delivered: int
    mean_production_days: float | None
    on_time_rate: float | None


def customer_order_summary(*, customer: Customer) -> OrderSummary:
    """Order count, total bought, last purchase, production→delivery days, on-time rate."""
    orders = Order.objects.filter(customer=customer)
    bought = orders.filter(BOUGHT).aggregate(
        count=Count("pk"), total=Sum("total"), last=Max("order_date")
    )
    figures = (
        orders.filter(status=OrderStatus.DELIVERED)
        .annotate(late=DaysBetween(F("delivered_on"), F("due_date")), tolerance=_order_tolerance())
        .aggregate(**_delivery_figures())
    )
    return OrderSummary(
        order_count=bought["count"],
        total_bought=bought["total"] or Decimal(0),
        last_order_date=bought["last"],
        delivered=figures["delivered"],
        mean_production_days=figures["mean_production_days"],
        on_time_rate=_rate(figures["on_time"] or 0, figures["delivered"]),
    )


@dataclass(frozen=True)
class FlaggedOrder:
    """A delivered order later than its tolerance allows."""

    order_id: int
    customer: str
    due_date: date
    delivered_on: date
    days_late: int
    tolerance_days: int


@dataclass(frozen=True)
class LeadTimeRow:
    """Delivery figures of one product, customer or month."""

    key: object
    label: str
    delivered: int
    on_time: int
    on_time_rate: float | None
    mean_days_late: float
    max_days_late: int
    mean_production_days: float | None
    flagged: list[FlaggedOrder] = field(default_factory=list)


def lead_time_report(
    *, user: User, date_from: date, date_to: date, group_by: str = "product"
) -> list[LeadTimeRow]:
    """Promised against actual delivery, per product, customer or month (see the module).

    One grouped query gives the figures and one more lists the flagged orders.
    """
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    orders = order_scope(user=user).filter(
        status=OrderStatus.DELIVERED, delivered_on__range=(date_from, date_to)
    )
    if group_by == "product":
        rows = OrderLine.objects.filter(order__in=orders).annotate(
            late=DaysBetween(F("order__delivered_on"), F("order__due_date")),
            tolerance=F("product__lead_time_tolerance_days"),
            group=F("product"),
            label=F("product__name"),
            order_ref=F("order"),
        )
        prefix = "order__"
    else:
        rows = orders.annotate(
            late=DaysBetween(F("delivered_on"), F("due_date")),
            tolerance=_order_tolerance(),
            order_ref=F("pk"),
        )
        if group_by == "customer":
            rows = rows.annotate(group=F("customer"), label=F("customer__name"))
        else:
            rows = rows.annotate(group=TruncMonth("delivered_on"), label=Value(""))
        prefix = ""
    figures = rows.values("group", "label").annotate(**_delivery_figures(prefix)).order_by("group")
    flagged: dict[object, list[FlaggedOrder]] = defaultdict(list)
    late_rows = (
        rows.filter(late__gt=F("tolerance"))
        .values_list(
            "group",
            "order_ref",
            f"{prefix}customer__name",
            f"{prefix}due_date",
            f"{prefix}delivered_on",
            "late",
            "tolerance",
        )
        .order_by("group", f"{prefix}delivered_on", "order_ref")
    )
    for group, *details in late_rows:
        flagged[group].append(FlaggedOrder(*details))
    return [
        LeadTimeRow(
            key=row["group"],
            label=row["label"] or row["group"].strftime("%Y-%m"),
            delivered=row["delivered"],
            on_time=row["on_time"],
            on_time_rate=_rate(row["on_time"], row["delivered"]),
            mean_days_late=row["mean_days_late"],
            max_days_late=row["max_days_late"],
            mean_production_days=row["mean_production_days"],
            flagged=flagged[row["group"]],
        )
        for row in figures
    ]

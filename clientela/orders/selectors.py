"""Reads of the order book, scoped to what the user may see, and the lead-time figures.

Rules the figures follow:

- An order is *bought* from confirmation on: drafts and cancelled orders are not
  purchases. *Owing* orders are bought, not cancelled, and have a balance above zero.
- *Days late* of a delivered order is ``delivered_on − due_date``, counted as 0 when
  delivered on or before the due date; the means are over all delivered orders.
- An order is *on time* when it is no more days late than its tolerance. Per product
  the tolerance is that product's ``lead_time_tolerance_days``; for a whole order (per
  customer, per month) it is the smallest tolerance among its products, so an order is
  on time only if it is on time for every product in it. The services keep each
  order's ``tolerance_days`` and ``days_late``, and the figures of every delivery day
  in ``DeliveryDay``.
- The lead-time report covers the orders *delivered* between ``date_from`` and
  ``date_to`` (inclusive); "month" is the month of delivery. Per customer it lists the
  customers with deliveries outside tolerance, the most such first.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, overload

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.core.pagination import CountedRows
from clientela.core.sql import DaysBetween
from clientela.customers.matching import search_terms
from clientela.customers.models import Customer
from clientela.orders.models import (
    AMOUNT,
    BOUGHT,
    CLOSED_STATUSES,
    LATE,
    OWING,
    DeliveryDay,
    Order,
    OrderChange,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
)

GROUPS = ("product", "customer", "month")

# Confirmed orders not yet delivered: the deliveries still to make.
TO_DELIVER = Q(status__in=[OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY])


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


def order_scope(*, user: User, owner: User | None = None) -> QuerySet[Order]:
    """The orders ``user`` may see (of ``owner``'s customers, if given)."""
    queryset = Order.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    if owner is not None:
        queryset = queryset.filter(customer__owner=owner)
    return queryset


def order_list(
    *,
    user: User,
    status: str | None = None,
    customer: Customer | int | None = None,
    owner: User | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    owing: bool = False,
    search: str = "",
    with_lines: bool = False,
) -> QuerySet[Order]:
    """Orders matching the filters, with the customer's name read (and lines if asked).

    ``status="open"`` is any status not delivered nor cancelled, ``"to_deliver"`` the
    confirmed ones not yet delivered (``TO_DELIVER``); ``owner`` keeps the orders of
    that user's customers; ``search`` is an order number, an order's own reference (any
    case) or words the customer search finds. Newest first; money owed (``owing``)
    earliest due first.
    """
    queryset = order_scope(user=user, owner=owner)
    if status == "open":
        queryset = queryset.exclude(status__in=sorted(CLOSED_STATUSES))
    elif status == "to_deliver":
        queryset = queryset.filter(TO_DELIVER)
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
    reference = search.strip().upper()
    if text.isdigit() and len(text) < 10:
        queryset = queryset.filter(Q(pk=int(text)) | Q(reference=reference))
    elif reference and queryset.filter(reference=reference).exists():
        queryset = queryset.filter(reference=reference)
    else:
        for term in search_terms(search):
            queryset = queryset.filter(customer__search_document__contains=term)
    queryset = queryset.select_related("customer").defer(
        "customer__search_document", "customer__name_key", "customer__notes"
    )
    if with_lines:
        queryset = queryset.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
        )
    return queryset.order_by(*(("due_date", "id") if owing else ("-order_date", "-id")))


# --- money owed -----------------------------------------------------------------------

# What an owing order still owes (owing orders are never cancelled).
BALANCE = ExpressionWrapper(F("total") - F("paid"), output_field=DecimalField(**AMOUNT))


@dataclass(frozen=True)
class AgingBucket:
    """Owing orders by days past their due date, from ``first`` to ``last`` (inclusive;
    ``None``: no bound)."""

    key: str
    label: str | Promise
    first: int | None
    last: int | None

    def condition(self, today: date) -> Q:
        """The owing orders in the bucket on ``today``."""
        condition = Q()
        if self.first is not None:
            condition &= Q(due_date__lte=today - timedelta(days=self.first))
        if self.last is not None:
            condition &= Q(due_date__gte=today - timedelta(days=self.last))
        return condition


AGING = (
    AgingBucket("not_due", gettext_lazy("Not yet due"), None, 0),
    AgingBucket("1_30", gettext_lazy("1–30 days overdue"), 1, 30),
    AgingBucket("31_60", gettext_lazy("31–60 days overdue"), 31, 60),
    AgingBucket("61_90", gettext_lazy("61–90 days overdue"), 61, 90),
    AgingBucket("over_90", gettext_lazy("Over 90 days overdue"), 91, None),
)
# Every overdue order: the buckets after "not yet due".
OVERDUE = AgingBucket("overdue", gettext_lazy("Overdue"), 1, None)
AGING_FILTERS = {bucket.key: bucket for bucket in (OVERDUE, *AGING)}


@dataclass(frozen=True)
class OwedAmount:
    """How many owing orders, and how much they owe."""

    orders: int
    amount: Decimal


@dataclass(frozen=True)
class MoneyOwed:
    """The money owed in one currency: in all, overdue, and per aging bucket."""

    currency: str
    owed: OwedAmount
    overdue: OwedAmount
    buckets: list[tuple[AgingBucket, OwedAmount]]


def _owing(
    user: User, *, owner: User | None = None, customer: int | None = None, aging: str = ""
) -> QuerySet[Order]:
    """Owing orders the user may see, narrowed to a customer owner, customer and bucket."""
    queryset = order_scope(user=user, owner=owner).filter(OWING)
    if customer is not None:
        queryset = queryset.filter(customer_id=customer)
    if aging:
        queryset = queryset.filter(AGING_FILTERS[aging].condition(timezone.localdate()))
    return queryset


def money_owed_totals(
    *, user: User, owner: User | None = None, customer: int | None = None
) -> list[MoneyOwed]:
    """What the owing orders the user may see (of ``owner``'s customers, or of one
    customer, if given) owe per currency: in all, overdue and per aging bucket, in one
    grouped query."""
    today = timezone.localdate()
    amounts = {"all": Q(), **{bucket.key: bucket.condition(today) for bucket in AGING}}
    amounts[OVERDUE.key] = OVERDUE.condition(today)
    aggregates: dict[str, Func] = {}
    for key, condition in amounts.items():
        aggregates[f"{key}_orders"] = Count("pk", filter=condition)
        aggregates[f"{key}_amount"] = Coalesce(
            Sum(BALANCE, filter=condition), Value(Decimal(0)), output_field=DecimalField(**AMOUNT)
        )
    rows = (
        _owing(user, owner=owner, customer=customer)
        .values("currency")
        .annotate(**aggregates)
        .order_by("currency")
    )

    def amount(row: dict, key: str) -> OwedAmount:
        return OwedAmount(orders=row[f"{key}_orders"], amount=row[f"{key}_amount"])

    return [
        MoneyOwed(
            currency=row["currency"],
            owed=amount(row, "all"),
            overdue=amount(row, OVERDUE.key),
            buckets=[(bucket, amount(row, bucket.key)) for bucket in AGING],
        )
        for row in rows
    ]


_OWED_ORDER_FIELDS = ("reference", "status", "order_date", "due_date", "currency", "total", "paid")


def money_owed_orders(
    *,
    user: User,
    owner: User | None = None,
    customer: int | None = None,
    aging: str = "",
    sort: str = "overdue",
) -> QuerySet[Order]:
    """The owing orders (of ``owner``'s customers, one customer, one aging bucket), each
    with ``balance_due`` and ``days_overdue`` (negative before the due date); ``sort``:
    the most days overdue first (``"overdue"``), the fewest (``"-overdue"``) or the
    largest balance (``"balance"``)."""
    ordering = {
        "overdue": ("due_date", "id"),
        "-overdue": ("-due_date", "-id"),
        "balance": (F("balance_due").desc(), "due_date", "id"),
    }[sort]
    today = Value(timezone.localdate(), output_field=DateField())
    return (
        _owing(user, owner=owner, customer=customer, aging=aging)
        .select_related("customer")
        .only("customer__name", *_OWED_ORDER_FIELDS)
        .annotate(balance_due=BALANCE, days_overdue=DaysBetween(today, F("due_date")))
        .order_by(*ordering)
    )


def money_owed_customers(
    *, user: User, owner: User | None = None, aging: str = "", sort: str = "overdue"
) -> QuerySet:
    """Per customer (and currency) with owing orders: ``orders``, ``owed``, ``overdue``
    (the part past its due date), ``oldest_due`` and its ``days_overdue``, in one
    ``GROUP BY``; ``sort`` as ``money_owed_orders`` (by the customer's oldest due date,
    or total owed)."""
    ordering = {
        "overdue": ("oldest_due", "customer_id"),
        "-overdue": ("-oldest_due", "-customer_id"),
        "balance": ("-owed", "oldest_due", "customer_id"),
    }[sort]
    overdue = OVERDUE.condition(timezone.localdate())
    today = Value(timezone.localdate(), output_field=DateField())
    return (
        _owing(user, owner=owner, aging=aging)
        .values("customer_id", "customer__name", "currency")
        .annotate(
            orders=Count("pk"),
            owed=Sum(BALANCE),
            overdue=Coalesce(
                Sum(BALANCE, filter=overdue), Value(Decimal(0)), output_field=DecimalField(**AMOUNT)
            ),
            oldest_due=Min("due_date"),
            days_overdue=DaysBetween(today, Min("due_date")),
        )
        .order_by(*ordering)
    )


# --- the home page --------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDay:
    """The order book's work of the day: deliveries due today and overdue (confirmed,
    not delivered), drafts to confirm."""

    due_today: int
    overdue: int
    to_confirm: int


def order_day(*, user: User, owner: User | None = None) -> OrderDay:
    """The order book's work of the day over the orders the user may see (of
    ``owner``'s customers, if given), in one query."""
    today = timezone.localdate()
    figures = order_scope(user=user, owner=owner).aggregate(
        due_today=Count("pk", filter=TO_DELIVER & Q(due_date=today)),
        overdue=Count("pk", filter=TO_DELIVER & Q(due_date__lt=today)),
        to_confirm=Count("pk", filter=Q(status=OrderStatus.DRAFT)),
    )
    return OrderDay(**figures)


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


def delivery_figures(
    prefix: str = "", tolerance: str = "tolerance_days", only: Q | None = None
) -> dict:
    """Aggregates over delivered orders, or lines with ``prefix="order__"``; with
    ``only``, over the rows it matches among those aggregated (beside other figures).

    Each row is judged by the tolerance the field ``tolerance`` holds; the keys are the
    figures ``DeliveryDay`` keeps.
    """
    days_late, delivered_on = f"{prefix}days_late", f"{prefix}delivered_on"
    production_days = DaysBetween(F(delivered_on), F(f"{prefix}production_finished_on"))
    on_time = Q(**{f"{days_late}__lte": F(tolerance)})
    return {
        # Counted by delivery date, never empty here, not by id: then an index without
        # the id (order_customer_delivered) serves the figures alone.
        "delivered": Count(delivered_on, filter=only),
        "on_time": Count(delivered_on, filter=on_time & only if only else on_time),
        "days_late_sum": Coalesce(Sum(days_late, filter=only), 0),
        "days_late_max": Coalesce(Max(days_late, filter=only), 0),
        "produced": Count(f"{prefix}production_finished_on", filter=only),
        "production_days_sum": Coalesce(Sum(production_days, filter=only), 0),
    }


FIGURES = tuple(delivery_figures())
# The same figures added up over DeliveryDay rows (named apart from its columns).
_DAY_SUMS = {f"all_{name}": (Max if name == "days_late_max" else Sum)(name) for name in FIGURES}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class LeadTimeRow:
    """Delivery figures of one product, customer or month, or of a whole period."""

    key: object
    label: str
    delivered: int
    on_time: int
    days_late_sum: int
    max_days_late: int
    produced: int
    production_days_sum: int

    @classmethod
    def of(cls, figures: Mapping[str, Any], key: object = None, label: str = "", prefix: str = ""):
        """The row of ``figures`` (as ``delivery_figures`` names them, after ``prefix``)."""
        value = {name: figures[prefix + name] or 0 for name in FIGURES}
        return cls(
            key=key,
            label=label,
            delivered=value["delivered"],
            on_time=value["on_time"],
            days_late_sum=value["days_late_sum"],
            max_days_late=value["days_late_max"],
            produced=value["produced"],
            production_days_sum=value["production_days_sum"],
        )

    @property
    def outside_tolerance(self) -> int:
        """Deliveries later than their tolerance allows."""
        return self.delivered - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.delivered)

    @property
    def mean_days_late(self) -> float:
        return self.days_late_sum / self.delivered if self.delivered else 0.0

    @property
    def mean_production_days(self) -> float | None:
        """Mean days from production finished to delivery, over orders with both dates."""
        return self.production_days_sum / self.produced if self.produced else None


@dataclass(frozen=True)
class OrderSummary:
    """A customer's orders at a glance.

    ``order_count`` and ``total_bought`` count bought orders (confirmed up to
    delivered, not drafts nor cancelled); ``deliveries`` holds the lead-time figures.
    """

    order_count: int
    total_bought: Decimal
    last_order_date: date | None
    deliveries: LeadTimeRow


def customer_order_summary(*, customer: Customer) -> OrderSummary:
    """Order count, total bought, last purchase, production→delivery days, on-time rate."""
    figures = Order.objects.filter(customer=customer).aggregate(
        count=Count("pk", filter=BOUGHT),
        total=Sum("total", filter=BOUGHT),
        last=Max("order_date", filter=BOUGHT),
        **delivery_figures(only=Q(delivered_on__isnull=False)),
    )
    return OrderSummary(
        order_count=figures["count"],
        total_bought=figures["total"] or Decimal(0),
        last_order_date=figures["last"],
        deliveries=LeadTimeRow.of(figures),
    )


def _reads_delivery_days(user: User) -> bool:
    """Whether the user's figures can come from DeliveryDay (kept for all orders only)."""
    return not limited_to_own_customers(user)


def _delivered(
    user: User, date_from: date, date_to: date, owner: User | None = None
) -> QuerySet[Order]:
    return order_scope(user=user, owner=owner).filter(delivered_on__range=(date_from, date_to))


def lead_time_period_check(date_from: date, date_to: date) -> None:
    """Raise ValidationError (on ``date_to``) for a period that ends before it starts."""
    if date_to < date_from:
        raise ValidationError({"date_to": _("The period ends before it starts.")})


def lead_time_totals(*, user: User, date_from: date, date_to: date) -> LeadTimeRow:
    """The figures of every order the user may see delivered in the period."""
    if _reads_delivery_days(user):
        figures = DeliveryDay.objects.filter(
            product=None, day__range=(date_from, date_to)
        ).aggregate(**_DAY_SUMS)
        return LeadTimeRow.of(figures, prefix="all_")
    return LeadTimeRow.of(_delivered(user, date_from, date_to).aggregate(**delivery_figures()))


class CustomerLeadTimes(Sequence[LeadTimeRow]):
    """Customers with deliveries outside tolerance in a period, the most such first.

    Ranking needs only the late deliveries (a partial index holds them). One grouped
    query ranks them and counts them (a window over the groups) and keeps the first
    ``CLIENTELA_COUNT_LIMIT + 1`` ids, so counting and paging do not group twice; a
    page then reads its own customers' figures.
    """

    counts_every_row = True  # the window's count is exact: pages go to the last customer

    def __init__(self, delivered: QuerySet[Order]):
        self.delivered = delivered
        self.ranking = (
            delivered.filter(LATE)
            .values("customer")
            .annotate(late=Count("*"))
            .order_by("-late", "customer")
        )

    @cached_property
    def _top(self) -> tuple[int, list[int]]:
        rows = self.ranking.annotate(customers=Window(Count("*")))
        top = list(rows[: settings.CLIENTELA_COUNT_LIMIT + 1])
        return (top[0]["customers"] if top else 0), [row["customer"] for row in top]

    def __len__(self) -> int:
        return self._top[0]

    @overload
    def __getitem__(self, index: int) -> LeadTimeRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[LeadTimeRow]: ...
    def __getitem__(self, index: int | slice) -> LeadTimeRow | list[LeadTimeRow]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        total, top = self._top
        if len(top) == total or (index.stop is not None and 0 <= index.stop <= len(top)):
            ids = top[index]
        else:  # past the first ids kept: rank again for this slice
            ids = [row["customer"] for row in self.ranking[index]]
        figures = {
            row["customer"]: row
            for row in self.delivered.filter(customer__in=ids)
            .values("customer")
            .annotate(**delivery_figures())
            .order_by()
        }
        names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
        return [LeadTimeRow.of(figures[pk], key=pk, label=names[pk]) for pk in ids]

    def __iter__(self) -> Iterator[LeadTimeRow]:
        return iter(self[:])


def lead_time_report(
    *, user: User, date_from: date, date_to: date, group_by: str = "product"
) -> Sequence[LeadTimeRow]:
    """Promised against actual delivery per product, customer or month (see the module).

    Products (by name) and months come whole, from ``DeliveryDay`` unless the user sees
    only their own customers; customers come as ``CustomerLeadTimes``, to be paged.
    """
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    delivered = _delivered(user, date_from, date_to)
    if group_by == "customer":
        return CustomerLeadTimes(delivered)
    prefix = ""
    rows: QuerySet[Any, Mapping[str, Any]]
    if _reads_delivery_days(user):
        days = DeliveryDay.objects.filter(day__range=(date_from, date_to))
        figures, prefix = _DAY_SUMS, "all_"
        if group_by == "product":
            rows = days.filter(product__isnull=False).values(
                group=F("product"), label=F("product__name")
            )
        else:
            rows = days.filter(product=None).values(group=TruncMonth("day"))
    elif group_by == "product":
        rows = OrderLine.objects.filter(order__in=delivered).values(
            group=F("product"), label=F("product__name")
        )
        figures = delivery_figures("order__", "product__lead_time_tolerance_days")
    else:
        rows = delivered.values(group=TruncMonth("delivered_on"))
        figures = delivery_figures()
    rows = rows.annotate(**figures).filter(**{f"{prefix}delivered__gt": 0})
    ordering = ("label", "group") if group_by == "product" else ("group",)
    return [
        LeadTimeRow.of(row, key=row["group"], label=row.get("label", ""), prefix=prefix)
        for row in rows.order_by(*ordering)
    ]


def lead_time_late_orders(
    *,
    user: User,
    date_from: date,
    date_to: date,
    product: Product | None = None,
    customer: int | None = None,
    owner: User | None = None,
    month: date | None = None,
) -> QuerySet[Order] | CountedRows[Order]:
    """Orders delivered in the period later than their tolerance allows, latest first.

    With ``product``, the orders late by that product's own tolerance; ``customer`` (an
    id), ``owner`` (whose customers) and ``month`` (any day of it) narrow the list. Each
    order carries ``tolerance``, the days it was allowed. Unless narrowed to a customer
    or an owner, their number comes from ``DeliveryDay`` (when the user's figures do),
    so a page never counts them.
    """
    if month is not None:
        start = month.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        date_from, date_to = max(date_from, start), min(date_to, following - timedelta(days=1))
    orders = _delivered(user, date_from, date_to, owner).filter(LATE)
    if customer is not None:
        orders = orders.filter(customer_id=customer)
    if product is not None:
        tolerance = product.lead_time_tolerance_days
        orders = orders.filter(days_late__gt=tolerance, lines__product=product).annotate(
            tolerance=Value(tolerance)
        )
    else:
        orders = orders.annotate(tolerance=F("tolerance_days"))
    orders = orders.select_related("customer").order_by("-delivered_on", "-id")
    if customer is not None or owner is not None or not _reads_delivery_days(user):
        return orders
    days = DeliveryDay.objects.filter(day__range=(date_from, date_to), product=product)
    return CountedRows(
        orders,
        lambda: days.aggregate(late=Coalesce(Sum(F("delivered") - F("on_time")), 0))["late"],
    )

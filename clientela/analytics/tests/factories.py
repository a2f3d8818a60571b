"""Order books for the analytics tests.

The analytics read only who bought, when, for how much and in what status, so these
helpers write customers and bought orders straight into the tables in bulk (the order
services' lines, history and webhooks play no part here), which keeps books of hundreds
of orders fast. ``OrderFactory`` builds orders through the services where that matters.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

import factory
import numpy as np

from clientela.analytics.stats import simulate
from clientela.analytics.stats.btyd import BGNBDParameters, GammaGammaParameters
from clientela.customers.models import Customer
from clientela.orders.models import Order, OrderStatus


class BoughtOrderFactory(factory.django.DjangoModelFactory):
    """``BoughtOrderFactory(customer=c, order_date=d, total=Decimal("100"))``: one
    confirmed order of that amount."""

    class Meta:
        model = Order

    customer = factory.SubFactory("clientela.customers.tests.factories.CustomerFactory")
    order_date = date(2024, 3, 1)
    due_date = factory.LazyAttribute(lambda order: order.order_date + timedelta(days=3))
    status = OrderStatus.CONFIRMED
    total = Decimal("100.00")


def purchases_create(
    customer: Customer | int,
    purchases: Iterable[tuple[date | str, object]],
    *,
    status: str = OrderStatus.CONFIRMED,
) -> list[Order]:
    """Orders of ``customer`` in ``status`` on the given (date, total) pairs, in bulk."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    orders = []
    for day, total in purchases:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        orders.append(
            Order(
                customer_id=customer_id,
                order_date=day,
                due_date=day + timedelta(days=3),
                status=status,
                total=Decimal(str(total)),
            )
        )
    return Order.objects.bulk_create(orders, batch_size=500)


def customers_bulk_create(count: int, **fields) -> list[Customer]:
    """``count`` plain customers, in bulk (ids ascending)."""
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Cliente {index}", **fields) for index in range(count)]
    )
    return sorted(customers, key=lambda customer: customer.pk)


def every(days: int, start: date | str, count: int) -> list[date]:
    """``count`` dates ``days`` apart from ``start``."""
    start = date.fromisoformat(start) if isinstance(start, str) else start
    return [start + timedelta(days=days * index) for index in range(count)]


def random_book(customers: list[Customer], *, seed: int, until: date) -> None:
    """A messy book: 0–8 orders per customer in the two years before ``until`` (some on
    the same day, a few after it), in every status, with amounts in cents."""
    rng = np.random.default_rng(seed)
    statuses = [
        OrderStatus.DRAFT,
        OrderStatus.CANCELLED,
        OrderStatus.CONFIRMED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.READY,
    ]
    orders = []
    for customer in customers:
        count = int(rng.integers(0, 9))
        days = rng.integers(-730, 20, count)
        if count > 2:
            days[1] = days[0]  # two orders on one day
        for offset in days.tolist():
            day = until + timedelta(days=offset)
            orders.append(
                Order(
                    customer=customer,
                    order_date=day,
                    due_date=day + timedelta(days=2),
                    status=statuses[int(rng.choice(len(statuses), p=[0.1, 0.1, 0.5, 0.15, 0.15]))],
                    total=Decimal(int(rng.integers(0, 500_000))) / 100,
                )
            )
    Order.objects.bulk_create(orders, batch_size=500)


def simulated_book_create(parameters: BGNBDParameters, *, as_of: date = date(2024, 12, 31)):
    """180 customers whose purchases up to ``as_of`` are drawn from BG/NBD ``parameters``
    and known Gamma-Gamma ones (days)."""
    rng = np.random.default_rng(3)
    ages = rng.integers(200, 700, 180).astype(float)
    drawn = simulate.simulate_bgnbd(parameters, ages, seed=5, transactions=True)
    amounts = simulate.simulate_transaction_amounts(
        GammaGammaParameters(p=6.0, q=4.0, gamma=60.0), drawn.transaction_customer, seed=8
    )
    customers = customers_bulk_create(180)
    first_day = np.datetime64(as_of) - ages.astype(int)
    days = first_day[drawn.transaction_customer] + np.floor(drawn.transaction_time).astype(int)
    for index, customer in enumerate(customers):
        mine = drawn.transaction_customer == index
        purchases_create(
            customer,
            [
                (day.astype(object), round(float(amount), 2) + 0.01)
                for day, amount in zip(days[mine], amounts[mine], strict=True)
            ],
        )
    return customers

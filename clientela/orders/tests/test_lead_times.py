"""Lead-time figures on a small hand-built book whose answers are worked out below.

Products A (tolerance 0 days, 10.00), B (2 days, 20.00), C (1 day, 5.00); one of each
per line. Delivered orders (due → finished, delivered; days late):

  #1 X  A+B  due 01-10  finished 01-08  delivered 01-10  late 0  production 2
  #2 X  B    due 01-15  finished 01-15  delivered 01-17  late 2  production 2
  #3 Y  A+C  due 01-20  finished 01-19  delivered 01-21  late 1  production 2
  #4 Y  C    due 02-05  finished 02-01  delivered 02-04  late −1 production 3
  #5 X  A+B  due 02-10  finished 02-12  delivered 02-15  late 5  production 3

Outside the report: #6 (Y, delivered in April), #7 (X, confirmed), #8 (X, draft),
#9 (X, cancelled).
"""

from datetime import date
from decimal import Decimal

import pytest

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import OrderStatus
from clientela.orders.selectors import customer_order_summary, lead_time_report
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
JAN_1, MAR_31 = date(2024, 1, 1), date(2024, 3, 31)


def d(month_day: str) -> date:
    month, day = month_day.split("-")
    return date(2024, int(month), int(day))


@pytest.fixture
def book(db, sales):
    products = {
        "A": ProductFactory(name="A", lead_time_tolerance_days=0, unit_price=Decimal("10.00")),
        "B": ProductFactory(name="B", lead_time_tolerance_days=2, unit_price=Decimal("20.00")),
        "C": ProductFactory(name="C", lead_time_tolerance_days=1, unit_price=Decimal("5.00")),
    }
    customers = {"X": CustomerFactory(name="X", owner=sales), "Y": CustomerFactory(name="Y")}
    orders = {}
    for number, customer, skus, due, finished, delivered, status in [
        (1, "X", "AB", "01-10", "01-08", "01-10", OrderStatus.DELIVERED),
        (2, "X", "B", "01-15", "01-15", "01-17", OrderStatus.DELIVERED),
        (3, "Y", "AC", "01-20", "01-19", "01-21", OrderStatus.DELIVERED),
        (4, "Y", "C", "02-05", "02-01", "02-04", OrderStatus.DELIVERED),
        (5, "X", "AB", "02-10", "02-12", "02-15", OrderStatus.DELIVERED),
        (6, "Y", "A", "03-30", "03-30", "04-02", OrderStatus.DELIVERED),
        (7, "X", "A", "03-10", None, None, OrderStatus.CONFIRMED),
        (8, "X", "A", "03-10", None, None, OrderStatus.DRAFT),
        (9, "X", "A", "03-10", None, None, OrderStatus.CANCELLED),
    ]:
        orders[number] = OrderFactory(
            customer=customers[customer],
            order_date=d("03-01" if number == 7 else "03-05" if number > 7 else "01-02"),
            due_date=d(due),
            lines=[{"product": products[sku], "quantity": 1} for sku in skus],
            status=status,
            finished_on=finished and d(finished),
            delivered_on=delivered and d(delivered),
        )
    return products, customers, orders


def _figures(rows):
    return {
        row.label: (
            row.delivered,
            row.on_time,
            row.on_time_rate,
            row.mean_days_late,
            row.max_days_late,
            row.mean_production_days,
            [(f.order_id, f.days_late, f.tolerance_days) for f in row.flagged],
        )
        for row in rows
    }


def test_per_product(owner, book):
    _products, _customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="product")

    assert _figures(rows) == {
        "A": (
            3,
            1,
            pytest.approx(1 / 3),
            2.0,
            5,
            pytest.approx(7 / 3),
            [(o[3].pk, 1, 0), (o[5].pk, 5, 0)],
        ),
        "B": (
            3,
            2,
            pytest.approx(2 / 3),
            pytest.approx(7 / 3),
            5,
            pytest.approx(7 / 3),
            [(o[5].pk, 5, 2)],
        ),
        "C": (2, 2, 1.0, 0.5, 1, 2.5, []),
    }


def test_per_customer_an_order_takes_the_smallest_tolerance_of_its_products(owner, book):
    _products, _customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="customer")

    assert _figures(rows) == {
        "X": (
            3,
            2,
            pytest.approx(2 / 3),
            pytest.approx(7 / 3),
            5,
            pytest.approx(7 / 3),
            [(o[5].pk, 5, 0)],
        ),
        "Y": (2, 1, 0.5, 0.5, 1, 2.5, [(o[3].pk, 1, 0)]),
    }


def test_per_month_of_delivery(owner, book):
    _products, _customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="month")

    assert [row.key for row in rows] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert _figures(rows) == {
        "2024-01": (3, 2, pytest.approx(2 / 3), 1.0, 2, 2.0, [(o[3].pk, 1, 0)]),
        "2024-02": (2, 1, 0.5, 2.5, 5, 3.0, [(o[5].pk, 5, 0)]),
    }


def test_the_report_runs_in_two_queries(owner, book, django_assert_num_queries):
    with django_assert_num_queries(2):
        lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="customer")


def test_a_limited_salesperson_sees_only_own_customers(sales, book, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True

    rows = lead_time_report(user=sales, date_from=JAN_1, date_to=MAR_31, group_by="customer")

    assert [row.label for row in rows] == ["X"]


def test_customer_summary_counts_bought_orders(book):
    _products, customers, _orders = book

    summary = customer_order_summary(customer=customers["X"])

    assert summary.order_count == 4  # #1, #2, #5 delivered and #7 confirmed
    assert summary.total_bought == Decimal("90.00")
    assert summary.last_order_date == date(2024, 3, 1)
    assert summary.delivered == 3
    assert summary.mean_production_days == pytest.approx(7 / 3)
    assert summary.on_time_rate == pytest.approx(2 / 3)


def test_customer_summary_without_orders(db):
    summary = customer_order_summary(customer=CustomerFactory())

    assert (summary.order_count, summary.total_bought, summary.on_time_rate) == (0, 0, None)

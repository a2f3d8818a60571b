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
from unittest.mock import patch

import pytest
from django_tasks_db.models import DBTaskResult

from clientela.core.pagination import CappedPaginator
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import DeliveryDay, OrderStatus, Product
from clientela.orders.selectors import (
    customer_order_summary,
    lead_time_late_orders,
    lead_time_report,
    lead_time_totals,
)
from clientela.orders.services import (
    delivery_days_deferred,
    order_record_dates,
    order_transition,
    product_update,
)
from clientela.orders.tasks import product_tolerance_task
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
        row.label or row.key: (
            row.delivered,
            row.on_time,
            row.on_time_rate,
            row.mean_days_late,
            row.max_days_late,
            row.mean_production_days,
            row.outside_tolerance,
        )
        for row in rows
    }


def _late(user, **narrowing):
    return [
        (order.pk, order.days_late, order.tolerance)
        for order in lead_time_late_orders(user=user, date_from=JAN_1, date_to=MAR_31, **narrowing)
    ]


def test_per_product(owner, book):
    products, _customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="product")

    assert _figures(rows) == {
        "A": (3, 1, pytest.approx(1 / 3), 2.0, 5, pytest.approx(7 / 3), 2),
        "B": (3, 2, pytest.approx(2 / 3), pytest.approx(7 / 3), 5, pytest.approx(7 / 3), 1),
        "C": (2, 2, 1.0, 0.5, 1, 2.5, 0),
    }
    assert _late(owner, product=products["A"]) == [(o[5].pk, 5, 0), (o[3].pk, 1, 0)]
    assert _late(owner, product=products["B"]) == [(o[5].pk, 5, 2)]
    assert _late(owner, product=products["C"]) == []


def test_per_customer_an_order_takes_the_smallest_tolerance_of_its_products(owner, book):
    _products, customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="customer")

    assert len(rows) == 2
    assert _figures(rows) == {
        "X": (3, 2, pytest.approx(2 / 3), pytest.approx(7 / 3), 5, pytest.approx(7 / 3), 1),
        "Y": (2, 1, 0.5, 0.5, 1, 2.5, 1),
    }
    assert _late(owner, customer=customers["X"].pk) == [(o[5].pk, 5, 0)]
    assert _late(owner, customer=customers["Y"].pk) == [(o[3].pk, 1, 0)]


def test_per_customer_lists_only_customers_with_late_deliveries_most_first(owner, book):
    _products, customers, _orders = book
    ontime = CustomerFactory(name="Z")
    for due in ("01-05", "01-06"):
        OrderFactory(
            customer=ontime,
            order_date=d("01-02"),
            due_date=d(due),
            lines=[{"product": book[0]["B"], "quantity": 1}],
            status=OrderStatus.DELIVERED,
            finished_on=d(due),
            delivered_on=d(due),
        )
    for due in ("03-05", "03-06"):  # two more late orders for Y
        OrderFactory(
            customer=customers["Y"],
            order_date=d("03-01"),
            due_date=d(due),
            lines=[{"product": book[0]["A"], "quantity": 1}],
            status=OrderStatus.DELIVERED,
            finished_on=d("03-09"),
            delivered_on=d("03-09"),
        )

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="customer")

    assert [(row.label, row.outside_tolerance, row.delivered) for row in rows] == [
        ("Y", 3, 4),
        ("X", 1, 3),
    ]
    assert [row.label for row in rows[1:]] == ["X"]


def test_per_month_of_delivery(owner, book):
    _products, _customers, o = book

    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="month")

    assert [row.key for row in rows] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert _figures(rows) == {
        date(2024, 1, 1): (3, 2, pytest.approx(2 / 3), 1.0, 2, 2.0, 1),
        date(2024, 2, 1): (2, 1, 0.5, 2.5, 5, 3.0, 1),
    }
    assert _late(owner, month=date(2024, 1, 15)) == [(o[3].pk, 1, 0)]
    assert _late(owner, month=date(2024, 2, 1)) == [(o[5].pk, 5, 0)]


def test_totals_and_every_late_order_latest_first(owner, book):
    _products, _customers, o = book

    totals = lead_time_totals(user=owner, date_from=JAN_1, date_to=MAR_31)

    assert (totals.delivered, totals.on_time, totals.outside_tolerance) == (5, 3, 2)
    assert totals.mean_days_late == pytest.approx(8 / 5)
    assert totals.max_days_late == 5
    assert _late(owner) == [(o[5].pk, 5, 0), (o[3].pk, 1, 0)]


def _late_counts(user):
    """How many late orders each list shows (all, of a product, of a month), as paged."""
    return {
        (product and product.name, month): CappedPaginator(
            lead_time_late_orders(
                user=user, date_from=JAN_1, date_to=MAR_31, product=product, month=month
            ),
            25,
        ).count
        for product in [None, *Product.objects.order_by("name")]
        for month in [None, d("01-01"), d("02-01"), d("03-01")]
    }


def _live(user, group_by):
    """The report counted from the orders themselves, as for a limited salesperson."""
    with patch("clientela.orders.selectors._reads_delivery_days", return_value=False):
        return _kept(user, group_by)


def _kept(user, group_by):
    return (
        _figures(lead_time_report(user=user, date_from=JAN_1, date_to=MAR_31, group_by=group_by)),
        lead_time_totals(user=user, date_from=JAN_1, date_to=MAR_31),
        _late_counts(user),
    )


@pytest.mark.parametrize("group_by", ["product", "month"])
def test_the_figures_kept_per_day_follow_corrections_and_tolerance_changes(
    owner, book, group_by, django_capture_on_commit_callbacks
):
    products, _customers, o = book
    assert _kept(owner, group_by) == _live(owner, group_by)

    # A delivery corrected into March, a production date corrected, a new delivery.
    for order in o.values():
        order.refresh_from_db()
    order_record_dates(
        actor=owner,
        order=o[4],
        version=o[4].version,
        reason="Mal capturado",
        delivered_on=d("03-02"),
    )
    order_record_dates(
        actor=owner,
        order=o[1],
        version=o[1].version,
        reason="Mal capturado",
        production_finished_on=d("01-03"),
    )
    order_transition(actor=owner, order=o[7], version=o[7].version, to="in_production")
    o[7].refresh_from_db()
    order_transition(actor=owner, order=o[7], version=o[7].version, to="ready", on=d("03-12"))
    o[7].refresh_from_db()
    order_transition(actor=owner, order=o[7], version=o[7].version, to="delivered", on=d("03-14"))
    assert _kept(owner, group_by) == _live(owner, group_by)

    # A is now allowed 5 days: #3 (A+C) is judged by C's 1 day, #5 (A+B) by B's 2, and
    # #7 (A, 4 days late) is on time, once the queued recount has run.
    products["A"].refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        product_update(
            actor=owner,
            product=products["A"],
            version=products["A"].version,
            lead_time_tolerance_days=5,
        )
    queued = DBTaskResult.objects.get(task_path__endswith="product_tolerance_task")
    assert queued.args_kwargs["args"] == [products["A"].pk]
    product_tolerance_task.call(products["A"].pk)
    assert _kept(owner, group_by) == _live(owner, group_by)
    o[3].refresh_from_db()
    o[5].refresh_from_db()
    assert (o[3].tolerance_days, o[5].tolerance_days) == (1, 2)
    assert _late(owner) == [(o[4].pk, 26, 1), (o[5].pk, 5, 2)]


def test_the_report_reads_one_query_per_grouping(owner, book, django_assert_num_queries):
    for group_by in ("product", "month"):
        with django_assert_num_queries(1):
            lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by=group_by)
    with django_assert_num_queries(1):
        lead_time_totals(user=owner, date_from=JAN_1, date_to=MAR_31)
    rows = lead_time_report(user=owner, date_from=JAN_1, date_to=MAR_31, group_by="customer")
    with django_assert_num_queries(3):  # ranking with its count, the page's figures, names
        assert len(rows) == 2 and len(rows[0:25]) == 2
    product = book[0]["A"]
    with django_assert_num_queries(2):  # the kept count, the page
        page = CappedPaginator(
            lead_time_late_orders(user=owner, date_from=JAN_1, date_to=MAR_31, product=product),
            25,
        ).page(1)
        assert (page.paginator.count, len(page.object_list)) == (2, 2)


def test_a_limited_salesperson_sees_only_own_customers(sales, book, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    _products, _customers, o = book

    rows = lead_time_report(user=sales, date_from=JAN_1, date_to=MAR_31, group_by="customer")
    months = lead_time_report(user=sales, date_from=JAN_1, date_to=MAR_31, group_by="month")

    assert [row.label for row in rows] == ["X"]
    assert [row.delivered for row in months] == [2, 1]  # X's #1 and #2, then #5
    assert _late(sales) == [(o[5].pk, 5, 0)]


def test_customer_summary_counts_bought_orders(book):
    _products, customers, _orders = book

    summary = customer_order_summary(customer=customers["X"])

    assert summary.order_count == 4  # #1, #2, #5 delivered and #7 confirmed
    assert summary.total_bought == Decimal("90.00")
    assert summary.last_order_date == date(2024, 3, 1)
    assert summary.deliveries.delivered == 3
    assert summary.deliveries.mean_production_days == pytest.approx(7 / 3)
    assert summary.deliveries.on_time_rate == pytest.approx(2 / 3)


def test_customer_summary_without_orders(db):
    summary = customer_order_summary(customer=CustomerFactory())

    assert (summary.order_count, summary.total_bought, summary.deliveries.on_time_rate) == (
        0,
        0,
        None,
    )


def test_deliveries_recorded_in_a_deferred_block_keep_the_same_figures(owner, book):
    _products, _customers, o = book
    o[7].refresh_from_db()

    with delivery_days_deferred():
        order_transition(actor=owner, order=o[7], version=o[7].version, to="in_production")
        order_transition(actor=owner, order=o[7], version=o[7].version, to="ready", on=d("03-12"))
        order_transition(
            actor=owner, order=o[7], version=o[7].version, to="delivered", on=d("03-14")
        )
        assert not DeliveryDay.objects.filter(day=d("03-14")).exists()  # not yet: at the end

    assert DeliveryDay.objects.filter(day=d("03-14")).exists()
    for group_by in ("product", "month"):
        assert _kept(owner, group_by) == _live(owner, group_by)

"""The demo's products, orders and events: a bakery's last years, through the services."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import groupby

import pytest
from django.db import transaction
from django.db.models import F, Min, Sum
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_summary
from clientela.demo.generator import build_demo
from clientela.demo.orders import PRODUCTS, SPECS, in_season
from clientela.demo.story_time import at_hour
from clientela.events.models import Event, EventProduct, EventSale
from clientela.orders.models import (
    Order,
    OrderChange,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
)

# Long enough to hold one Día de Muertos and one Día de Reyes whatever today is, short
# enough to keep the tests quick.
HISTORY_DAYS = 400


def small_demo(seed: int = 2024):
    return build_demo(customers=40, seed=seed, history_days=HISTORY_DAYS)


@pytest.fixture(scope="module")
def business(django_db_setup, django_db_blocker):
    """One small demo shared by the tests that only read it, rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield small_demo()
        transaction.set_rollback(True)


def test_the_products_look_like_a_bakerys_catalog():
    assert 25 <= len(PRODUCTS) <= 40
    assert len(SPECS) == len(PRODUCTS)
    names = {spec.name for spec in PRODUCTS}
    assert {"Bolillo", "Telera", "Concha de vainilla", "Oreja", "Polvorón"} <= names
    for spec in PRODUCTS:
        price = Decimal(spec.price)
        assert price > 0 and price == price.quantize(Decimal("0.01"))
        assert 0 <= spec.tolerance <= 2
    assert {spec.season for spec in PRODUCTS} == {"", "muertos", "reyes"}


@pytest.mark.django_db
def test_the_demo_orders_go_through_every_status(business):
    today = timezone.localdate()

    assert Product.objects.count() == len(PRODUCTS) == len(business.products)
    orders = Order.objects.all()
    assert orders.count() == business.order_count > 100
    assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values)
    assert orders.filter(order_date__gte=today - timedelta(days=HISTORY_DAYS)).count() == (
        orders.count()
    )
    assert not orders.filter(order_date__gt=today).exists()
    assert orders.filter(due_date__gte=today).exists()  # recent ones still open
    # Lines: 1 to 4 per order, the order's total is theirs.
    for order in orders.annotate(lines_total=Sum("lines__line_total")):
        assert order.lines_total == order.total
    assert OrderLine.objects.count() >= 2 * orders.count()
    # Closed orders carry their dates; delivered ones mostly on time, some late.
    delivered = orders.filter(status=OrderStatus.DELIVERED)
    assert not delivered.filter(delivered_on=None).exists()
    assert not delivered.filter(delivered_on__lt=F("production_finished_on")).exists()
    assert not orders.filter(delivered_on__gt=today).exists()
    late = delivered.filter(delivered_on__gt=F("due_date"))
    assert 0 < late.count() < delivered.count() / 4
    for order in late:
        assert (order.delivered_on - order.due_date).days <= 5
    assert not orders.filter(status=OrderStatus.CANCELLED, cancel_reason="").exists()
    assert orders.filter(status=OrderStatus.READY).exclude(production_finished_on=None).exists()


@pytest.mark.django_db
def test_some_orders_are_renegotiated_and_some_leave_a_balance_due(business):

    changes = OrderChange.objects.all()
    assert changes.exists()
    assert not changes.filter(reason="").exists()
    kinds = {entry["what"] for change in changes for entry in change.changes}
    assert kinds <= {"due_date", "quantity"} and kinds
    assert not changes.exclude(
        order__status__in=[
            OrderStatus.CONFIRMED,
            OrderStatus.IN_PRODUCTION,
            OrderStatus.READY,
            OrderStatus.DELIVERED,
            OrderStatus.CANCELLED,
        ]
    ).exists()

    payments = Payment.objects.all()
    assert set(payments.values_list("method", flat=True)) >= {"cash", "transfer"}
    assert not payments.filter(paid_on__gt=timezone.localdate()).exists()
    assert not payments.filter(paid_on__lt=F("order__order_date")).exists()
    for order in Order.objects.annotate(payments_total=Sum("payments__amount")):
        assert order.paid == (order.payments_total or 0)
    delivered = Order.objects.filter(status=OrderStatus.DELIVERED)
    assert delivered.filter(paid=F("total")).count() > delivered.count() / 2
    assert delivered.filter(paid__lt=F("total")).exists()  # a balance due
    assert not Order.objects.filter(status=OrderStatus.DRAFT).exclude(paid=0).exists()


@pytest.mark.django_db
def test_seasonal_products_are_ordered_only_in_season(business):

    seasonal = [spec for spec in PRODUCTS if spec.season]
    for spec in seasonal:
        lines = OrderLine.objects.filter(product__sku=spec.sku).select_related("order")
        for line in lines:
            assert in_season(spec.season, line.order.order_date), (spec.sku, line.order.order_date)
            assert in_season(spec.season, line.order.due_date), (spec.sku, line.order.due_date)
    assert OrderLine.objects.filter(product__sku__startswith="MUE-").exists()
    assert OrderLine.objects.filter(product__sku__startswith="ROS-").exists()
    for item in EventProduct.objects.filter(product__sku__in=[s.sku for s in seasonal]):
        season = SPECS[item.product.sku].season
        assert all(in_season(season, day) for day in item.event.days())


@pytest.mark.django_db
def test_events_sell_within_their_days_and_never_more_than_brought(business):
    today = timezone.localdate()

    events = Event.objects.all()
    assert events.count() == business.event_count >= 5
    assert events.values("location").distinct().count() >= 3
    upcoming = events.filter(start_date__gt=today)
    assert upcoming.count() == 1
    assert upcoming.get().items.exists()
    assert not EventSale.objects.filter(item__event__start_date__gt=today).exists()
    for event in events.filter(start_date__lte=today):
        assert event.end_date < today
        for item in event.items.all():
            assert item.quantity_expected <= item.quantity_brought
            sales = list(item.sales.all())
            assert {sale.sold_on for sale in sales} == set(event.days())
            assert sum(sale.quantity for sale in sales) <= item.quantity_brought
    assert EventSale.objects.filter(quantity__gt=0).exists()


@pytest.mark.django_db
def test_the_demo_dates_its_orders_on_the_days_of_their_story(business, client):
    today = timezone.localdate()
    day_of = timezone.localdate  # the local day of a moment

    # The renegotiations an order's page shows are dated between its order and due dates.
    client.force_login(business.users["lucia"])
    renegotiated = list(Order.objects.filter(changes__isnull=False).distinct().order_by("pk"))
    assert renegotiated
    for order in renegotiated[:5]:
        page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
        timeline = re.search(r'<section [^>]*id="timeline".*?</section>', page, re.S).group(0)
        shown = re.findall(r'<time datetime="([^"]+)"', timeline)
        assert shown
        for moment in shown:
            assert order.order_date <= datetime.fromisoformat(moment).date() <= order.due_date
    for change in OrderChange.objects.select_related("order"):
        assert change.order.order_date <= day_of(change.created_at) <= change.order.due_date

    # Orders are created on their order date and confirmed a few hours later, never
    # after they are due; payments are recorded on the day they were paid.
    orders = Order.objects.all()
    assert all(day_of(order.created_at) == order.order_date for order in orders)
    confirmed = orders.exclude(confirmed_at=None)
    assert confirmed.count() > orders.count() / 2
    for order in confirmed:
        assert order.created_at <= order.confirmed_at <= order.created_at + timedelta(hours=4)
        assert order.order_date <= day_of(order.confirmed_at) <= order.due_date
    assert confirmed.filter(confirmed_at__lt=at_hour(today - timedelta(days=200), 0)).exists()
    assert all(day_of(payment.created_at) == payment.paid_on for payment in Payment.objects.all())
    first_order = min(order.created_at for order in orders)
    assert all(product.created_at < first_order for product in Product.objects.all())

    # The history is dated on the days of the story, in the order it was written.
    for model in (Order, OrderLine, Payment):
        history = model.history.all()
        assert history.filter(history_date__lt=at_hour(today, 0)).count() > history.count() * 0.9
        rows = history.order_by("id", "history_id").values_list("id", "history_date")
        for _id, dates in groupby(rows, key=lambda row: row[0]):
            moments = [moment for _id, moment in dates]
            assert moments == sorted(moments), model
    assert Order.history.dates("history_date", "day").count() > 50
    assert not Order.history.filter(history_date__gt=timezone.now()).exists()
    for order in confirmed[:50]:
        stored = order.history.exclude(confirmed_at=None).values_list("confirmed_at", flat=True)
        assert set(stored) == {order.confirmed_at}


def test_the_demo_ends_with_an_analysis_that_scores_every_customer(business):
    run = business.analysis

    assert run is not None and run.status == RunStatus.DONE, run.error
    assert run.as_of == timezone.localdate()
    assert AnalysisRun.objects.filter(as_of=run.as_of).get() == run
    assert not AnalysisRun.objects.filter(as_of__gt=run.as_of).exists()
    scored = set(CustomerScore.objects.filter(as_of=run.as_of).values_list("customer", flat=True))
    assert scored == {customer.pk for customer in business.customers}
    assert run.customers_scored == len(business.customers)
    buyers = CustomerScore.objects.filter(as_of=run.as_of, purchases__gt=0)
    assert buyers.count() > len(business.customers) / 2
    assert buyers.exclude(pareto_class="").exists() and buyers.exclude(rfm_segment="").exists()
    assert sum(run.figures["stages"].values()) == len(business.customers)


def test_each_customer_started_on_the_day_of_their_first_order(business):
    today = timezone.localdate()
    first_orders = dict(
        Order.objects.values("customer")
        .annotate(first=Min("order_date"))
        .values_list("customer", "first")
    )
    assert first_orders
    for customer in Customer.objects.all():
        if customer.pk in first_orders:
            assert customer.customer_since == first_orders[customer.pk], customer.name
        else:  # first got in touch on a day of the story, and never ordered
            assert today - timedelta(days=HISTORY_DAYS) <= customer.customer_since <= today

    # so that only those who started this month are new this month, not every customer
    summary = customer_summary(user=business.users["lucia"])
    assert summary.new_this_month < summary.total / 4

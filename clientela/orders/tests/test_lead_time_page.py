"""The lead-time page: figures per product, customer or month, a chart and the late orders."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliveries(owner):
    shop = CustomerFactory(actor=owner, name="Cafetería Aurora")
    concha = ProductFactory(name="Concha", unit_price=Decimal("12.50"), lead_time_tolerance_days=1)
    dates = [
        # (due, finished, delivered): on time, within tolerance, 3 days late
        (date(2024, 3, 10), date(2024, 3, 9), date(2024, 3, 10)),
        (date(2024, 3, 20), date(2024, 3, 20), date(2024, 3, 21)),
        (date(2024, 4, 10), date(2024, 4, 12), date(2024, 4, 13)),
    ]
    orders = [
        OrderFactory(
            actor=owner,
            customer=shop,
            lines=[{"product": concha, "quantity": 1}],
            order_date=date(due.year, due.month, 1),
            due_date=due,
            status="delivered",
            finished_on=finished,
            delivered_on=delivered,
        )
        for due, finished, delivered in dates
    ]
    return orders


def test_per_product_with_chart_and_the_late_order(client, readonly, deliveries):
    client.force_login(readonly)

    response = client.get(
        reverse("orders:lead_times"), {"date_from": "2024-03-01", "date_to": "2024-04-30"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Concha" in page and "67%" in page  # 2 of 3 within tolerance
    chart = json.loads(
        page.split('id="lead-time-chart" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["data"]["labels"] == ["Concha"]
    assert chart["data"]["datasets"][0]["data"] == [66.7]
    late = deliveries[2]
    assert f"Order {late.pk}" in page and "3 days late (tolerance 1)" in page
    assert f"Order {deliveries[1].pk}" not in page.split('id="flagged-orders"')[1]


def test_per_month(client, readonly, deliveries):
    client.force_login(readonly)

    page = client.get(
        reverse("orders:lead_times"),
        {"date_from": "2024-03-01", "date_to": "2024-04-30", "group_by": "month"},
    ).content.decode()

    assert "March 2024" in page and "April 2024" in page


def test_an_empty_period_says_so(client, readonly):
    client.force_login(readonly)

    page = client.get(reverse("orders:lead_times")).content.decode()

    assert "No order was delivered in this period." in page


def test_a_period_that_ends_before_it_starts_is_pointed_out(client, readonly, deliveries):
    client.force_login(readonly)

    page = client.get(
        reverse("orders:lead_times"), {"date_from": "2024-04-30", "date_to": "2024-03-01"}
    ).content.decode()

    error = page.split('id="date-to-error">')[1].split("</div>")[0]
    assert error == "The period ends before it starts."
    # the page shows the last twelve months instead, and says so
    today = timezone.localdate()
    assert f'id="id_date_to" value="{today:%Y-%m-%d}"' in page


def test_the_totals_and_a_link_to_every_late_order_of_a_product(client, readonly, deliveries):
    client.force_login(readonly)
    period = {"date_from": "2024-03-01", "date_to": "2024-04-30"}

    page = client.get(reverse("orders:lead_times"), period).content.decode()

    totals = page.split('id="lead-time-totals"')[1].split("</dl>")[0]
    assert ">3<" in totals and "67%" in totals  # deliveries, on time
    concha = deliveries[0].lines.get().product
    link = f"{reverse('orders:late')}?date_from=2024-03-01&amp;date_to=2024-04-30&amp;product={concha.pk}"
    assert link in page
    late = client.get(reverse("orders:late"), {**period, "product": concha.pk}).content.decode()
    assert "1 order" in late and f"Order {deliveries[2].pk}" in late
    assert f"Order {deliveries[1].pk}" not in late
    assert "late by more than its 1-day tolerance" in late


def test_per_customer_pages_through_the_customers_with_late_deliveries(
    client, readonly, deliveries, settings
):
    settings.CLIENTELA_PAGE_SIZE = 1
    other = CustomerFactory(name="Panadería Norte")
    concha = deliveries[0].lines.get().product
    for delivered in (date(2024, 4, 20), date(2024, 4, 22)):
        OrderFactory(
            customer=other,
            lines=[{"product": concha, "quantity": 1}],
            order_date=date(2024, 4, 1),
            due_date=date(2024, 4, 10),
            status="delivered",
            finished_on=delivered,
            delivered_on=delivered,
        )
    client.force_login(readonly)
    query = {"date_from": "2024-03-01", "date_to": "2024-04-30", "group_by": "customer"}

    first = client.get(reverse("orders:lead_times"), query).content.decode()
    second = client.get(reverse("orders:lead_times"), {**query, "page": 2}).content.decode()

    table = first.split('id="lead-time-table"')[1].split("</table>")[0]
    assert "Panadería Norte" in table and "Cafetería Aurora" not in table  # 2 late, then 1
    assert "Cafetería Aurora" in second.split('id="lead-time-table"')[1].split("</table>")[0]
    customer_link = f"customer={other.pk}"
    assert customer_link in table
    late = client.get(reverse("orders:late"), {**query, "customer": other.pk}).content.decode()
    assert "Orders of Panadería Norte." in late and "2 orders" in late


def test_the_late_list_by_month_and_unknown_filters(client, readonly, deliveries):
    client.force_login(readonly)
    period = {"date_from": "2024-03-01", "date_to": "2024-04-30"}

    march = client.get(reverse("orders:late"), {**period, "month": "2024-03"}).content.decode()
    april = client.get(reverse("orders:late"), {**period, "month": "2024-04"}).content.decode()

    assert "every order arrived within its tolerance" in march
    assert f"Order {deliveries[2].pk}" in april
    assert client.get(reverse("orders:late"), {"product": 999999}).status_code == 404
    assert client.get(reverse("orders:late"), {"customer": 999999}).status_code == 404


def test_my_customers_only_lists_and_exports_the_salespersons_late_orders(
    client, owner, sales, deliveries
):
    # given a late delivery of the salesperson's own customer besides Aurora's
    espiga = CustomerFactory(actor=owner, name="Panadería La Espiga", owner=sales)
    concha = deliveries[0].lines.get().product
    theirs = OrderFactory(
        actor=owner,
        customer=espiga,
        lines=[{"product": concha, "quantity": 1}],
        order_date=date(2024, 4, 1),
        due_date=date(2024, 4, 15),
        status="delivered",
        finished_on=date(2024, 4, 15),
        delivered_on=date(2024, 4, 20),
    )
    client.force_login(sales)
    period = {"date_from": "2024-03-01", "date_to": "2024-04-30"}

    # when they tick "My customers only" on the late orders
    everyone = client.get(reverse("orders:late"), period).content.decode()
    late = client.get(reverse("orders:late"), {**period, "mine": "on"}).content.decode()
    exported = client.get(reverse("orders:late_export"), {**period, "mine": "on", "format": "csv"})

    # then the list, its count and its export hold only their customer's
    assert "2 orders" in everyone and "Cafetería Aurora" in everyone
    assert "1 order" in late and f"Order {theirs.pk}" in late
    assert "Cafetería Aurora" not in late
    assert re.search(r'<input type="checkbox" name="mine"[^>]* checked', late)
    rows = b"".join(exported.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "Panadería La Espiga" in rows[1]

"""The lead-time page: figures per product, customer or month, a chart and the late orders."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

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

"""The order list's filters the home page opens: orders to deliver, my customers only."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders import services
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
URL = reverse("orders:list")


def _listed(response) -> set[int]:
    return {int(n) for n in re.findall(r'<tr data-order="(\d+)">', response.content.decode())}


def test_to_deliver_lists_confirmed_orders_not_yet_delivered(client, owner):
    customer = CustomerFactory(actor=owner, name="Panadería La Espiga")
    pan = ProductFactory(actor=owner)
    made = {
        status: OrderFactory(
            actor=owner,
            customer=customer,
            order_date=TODAY - timedelta(days=5),
            due_date=TODAY,
            lines=[{"product": pan, "quantity": 1}],
            status=status,
            delivered_on=TODAY,
        )
        for status in ("draft", "confirmed", "in_production", "ready", "delivered", "cancelled")
    }
    client.force_login(owner)

    listed = _listed(client.get(URL + "?status=to_deliver"))

    assert listed == {made[status].pk for status in ("confirmed", "in_production", "ready")}


def test_my_customers_only(client, owner, sales):
    pan = ProductFactory(actor=owner, unit_price=Decimal("10"))

    def order(customer):
        return services.order_create(
            actor=owner, customer=customer, due_date=TODAY, lines=[{"product": pan, "quantity": 1}]
        )

    mine = order(CustomerFactory(actor=owner, name="Panadería La Espiga", owner=sales))
    order(CustomerFactory(actor=owner, name="Cafetería El Portal"))
    client.force_login(sales)

    response = client.get(URL + "?mine=on")

    assert _listed(response) == {mine.pk}
    assert "Clear search and filters" in response.content.decode()
    assert len(_listed(client.get(URL))) == 2

"""A customer's page shows their orders: figures, the latest orders and a way to add one."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.services import payment_record
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(owner):
    return CustomerFactory(actor=owner, name="Cafetería Aurora")


def test_the_customer_page_shows_their_orders_and_figures(client, owner, shop):
    pan = ProductFactory(name="Concha", unit_price=Decimal("12.50"))
    on_time = OrderFactory(
        actor=owner,
        customer=shop,
        lines=[{"product": pan, "quantity": 4}],
        order_date=date(2024, 3, 1),
        due_date=date(2024, 3, 5),
        status="delivered",
        finished_on=date(2024, 3, 4),
        delivered_on=date(2024, 3, 5),
    )
    late = OrderFactory(
        actor=owner,
        customer=shop,
        lines=[{"product": pan, "quantity": 2}],
        order_date=date(2024, 4, 1),
        due_date=date(2024, 4, 5),
        status="delivered",
        finished_on=date(2024, 4, 6),
        delivered_on=date(2024, 4, 9),
    )
    payment_record(actor=owner, order=on_time, amount=Decimal("50.00"), method="cash")
    client.force_login(owner)

    page = client.get(reverse("customers:detail", args=[shop.pk])).content.decode()

    assert 'id="customer-orders"' in page
    assert f"Order {on_time.pk}" in page and f"Order {late.pk}" in page
    assert "$75.00" in page  # total bought: 50.00 + 25.00
    assert "50%" in page  # one of two delivered on time
    assert "$25.00 due" in page  # the late one is unpaid
    assert reverse("orders:create") + f"?customer={shop.pk}" in page


def test_readers_see_the_orders_but_no_way_to_add_one(client, readonly, owner, shop):
    client.force_login(readonly)

    page = client.get(reverse("customers:detail", args=[shop.pk])).content.decode()

    assert "No orders yet." in page
    assert reverse("orders:create") not in page


def test_an_address_orders_were_delivered_to_cannot_be_deleted(client, owner, shop):
    from clientela.customers.services import address_create

    address = address_create(actor=owner, customer=shop, street="Orizaba 10", city="CDMX")
    OrderFactory(actor=owner, customer=shop, delivery_address=address)
    client.force_login(owner)

    response = client.post(
        reverse("customers:address_delete", args=[shop.pk, address.pk]), follow=True
    )

    assert "Orders were delivered to this address" in response.content.decode()
    assert shop.addresses.filter(pk=address.pk).exists()

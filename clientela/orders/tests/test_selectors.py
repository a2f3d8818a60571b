"""Listing products and orders: filters, scoping to own customers, constant query counts."""

from datetime import date
from decimal import Decimal

import pytest

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderStatus
from clientela.orders.selectors import (
    order_get,
    order_list,
    product_get,
    product_list,
)
from clientela.orders.services import order_update, payment_record, product_deactivate
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_product_list_searches_sku_and_name_and_filters(owner):
    concha = ProductFactory(sku="CON-1", name="Concha", category="Dulce")
    ProductFactory(sku="BOL-1", name="Bolillo", category="Salado")
    old = ProductFactory(sku="CON-2", name="Concha rellena", category="Dulce")
    product_deactivate(actor=owner, product=old)

    assert list(product_list(search="con")) == [concha]
    assert list(product_list(search="con", active=None)) == [concha, old]
    assert [p.sku for p in product_list(category="salado")] == ["BOL-1"]
    assert product_get(pk=concha.pk) == concha


def test_order_list_filters(owner):
    customer = CustomerFactory()
    early = OrderFactory(customer=customer, due_date=date(2024, 3, 5))
    late = OrderFactory(due_date=date(2024, 3, 20), status=OrderStatus.CONFIRMED)

    assert list(order_list(user=owner, customer=customer)) == [early]
    assert list(order_list(user=owner, status=OrderStatus.CONFIRMED)) == [late]
    assert list(order_list(user=owner, due_from=date(2024, 3, 10))) == [late]
    assert list(order_list(user=owner, due_to=date(2024, 3, 10))) == [early]


def test_order_list_finds_an_order_by_its_number_or_its_own_reference(owner):
    customer = CustomerFactory(name="Café Olé")
    imported = OrderFactory(customer=customer)
    Order.objects.filter(pk=imported.pk).update(reference="F-1024")
    numbered = OrderFactory(customer=customer)
    Order.objects.filter(pk=numbered.pk).update(reference="20240315")
    other = OrderFactory(customer=CustomerFactory(name="Panadería Gómez"))

    assert list(order_list(user=owner, search=" f-1024 ")) == [imported]
    assert list(order_list(user=owner, search="20240315")) == [numbered]
    assert list(order_list(user=owner, search=f"#{other.pk}")) == [other]
    assert set(order_list(user=owner, search="olé")) == {imported, numbered}


def test_orders_owing_are_bought_unpaid_and_oldest_due_first(owner):
    price = {"product": ProductFactory(unit_price=Decimal("100.00")), "quantity": 1}
    later = OrderFactory(lines=[price], due_date=date(2024, 3, 20), status="confirmed")
    sooner = OrderFactory(lines=[price], due_date=date(2024, 3, 5), status="ready")
    paid = OrderFactory(lines=[price], status=OrderStatus.DELIVERED)
    payment_record(actor=owner, order=paid, amount=Decimal("100"), method="cash")
    OrderFactory(lines=[price])  # a draft owes nothing yet
    OrderFactory(lines=[price], status=OrderStatus.CANCELLED)

    assert list(order_list(user=owner, owing=True)) == [sooner, later]


def test_a_limited_salesperson_sees_only_orders_of_own_customers(sales, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    mine = OrderFactory(customer=CustomerFactory(actor=sales))
    theirs = OrderFactory()

    assert list(order_list(user=sales)) == [mine]
    with pytest.raises(Order.DoesNotExist):
        order_get(user=sales, pk=theirs.pk)


def test_order_list_reads_any_number_of_orders_in_one_query(owner, django_assert_num_queries):
    for _ in range(4):
        OrderFactory(lines=[{"product": ProductFactory(), "quantity": 2}])

    with django_assert_num_queries(1):
        rows = [(order.customer.name, order.balance) for order in order_list(user=owner)]

    assert len(rows) == 4


def test_order_list_with_lines_reads_them_in_a_second_query(owner, django_assert_num_queries):
    for _ in range(4):
        OrderFactory(lines=[{"product": ProductFactory(), "quantity": 2}])

    with django_assert_num_queries(2):
        rows = [
            [line.product.sku for line in order.lines.all()]
            for order in order_list(user=owner, with_lines=True)
        ]

    assert [len(lines) for lines in rows] == [1, 1, 1, 1]


def test_order_get_reads_lines_payments_and_changes_at_once(owner, django_assert_num_queries):
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    payment_record(actor=owner, order=order, amount=Decimal("1"), method="cash")
    order_update(
        actor=owner, order=order, version=order.version, reason="x", due_date=date(2024, 3, 11)
    )

    with django_assert_num_queries(4):
        found = order_get(user=owner, pk=order.pk)
        lines = [line.product.sku for line in found.lines.all()]
        payments = [payment.recorded_by for payment in found.payments.all()]
        changes = [change.changed_by for change in found.changes.all()]

    assert (len(lines), payments, changes) == (1, [owner], [owner])

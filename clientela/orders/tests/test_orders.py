"""Creating orders: line totals, defaults, every refused input, who may do it, merges."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.customers.models import Address
from clientela.customers.services import address_create, customers_merge
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderLine, OrderStatus
from clientela.orders.services import order_create, product_deactivate
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"street": "Av. Juárez 10", "city": "Puebla"}


def test_line_totals_are_rounded_and_summed_exactly(owner):
    customer = CustomerFactory(addresses=[ADDRESS])
    concha = ProductFactory(unit_price=Decimal("33.33"))
    bolillo = ProductFactory(unit_price=Decimal("2.50"))

    order = order_create(
        actor=owner,
        customer=customer,
        order_date=date(2024, 3, 1),
        due_date=date(2024, 3, 5),
        lines=[
            {"product": concha, "quantity": Decimal("3"), "discount_percent": Decimal("10")},
            {"product": bolillo, "quantity": Decimal("7"), "unit_price": Decimal("2.35")},
        ],
    )

    assert order.status == OrderStatus.DRAFT
    assert order.currency == "MXN"
    assert order.delivery_address == customer.addresses.get()
    assert order.created_by == owner
    lines = list(order.lines.order_by("position").values_list("unit_price", "line_total"))
    assert lines == [(Decimal("33.33"), Decimal("89.99")), (Decimal("2.35"), Decimal("16.45"))]
    assert Order.objects.get(pk=order.pk).total == Decimal("106.44")
    assert order.history.first().history_user == owner


def test_the_business_currency_decides_the_rounding(owner, settings):
    settings.CLIENTELA_CURRENCY = "JPY"
    product = ProductFactory(unit_price=Decimal("333"), currency="JPY")

    order = OrderFactory(
        lines=[{"product": product, "quantity": Decimal("1.5"), "discount_percent": 10}]
    )

    assert (order.currency, order.total) == ("JPY", Decimal("450"))  # 449.55 → 450


def _bad_input(customer, other, product):
    """(changes to a good order_create call, the field the error must name)."""
    inactive = ProductFactory()
    product_deactivate(actor=None, product=inactive)
    dollars = ProductFactory(currency="USD", unit_price=Decimal("1.00"))
    line = {"product": product, "quantity": Decimal("1")}
    return [
        ({"lines": [{**line, "quantity": Decimal("0")}]}, "lines.0.quantity"),
        ({"lines": [line, {"product": ProductFactory(), "quantity": -1}]}, "lines.1.quantity"),
        ({"lines": [{**line, "quantity": Decimal("0.0001")}]}, "lines.0.quantity"),
        ({"lines": [{**line, "unit_price": Decimal("1.001")}]}, "lines.0.unit_price"),
        ({"lines": [{**line, "unit_price": Decimal("-1")}]}, "lines.0.unit_price"),
        ({"lines": [{**line, "discount_percent": Decimal("101")}]}, "lines.0.discount_percent"),
        ({"lines": [{**line, "discount_percent": Decimal("-5")}]}, "lines.0.discount_percent"),
        ({"lines": [{**line, "product": inactive}]}, "lines.0.product"),
        ({"lines": [{**line, "product": dollars}]}, "lines.0.product"),
        ({"lines": [line, line]}, "lines.1.product"),
        ({"lines": []}, "lines"),
        ({"due_date": date(2024, 2, 29)}, "due_date"),
        ({"delivery_address": other.addresses.get()}, "delivery_address"),
    ]


def test_each_bad_input_is_refused_naming_its_field_and_writes_nothing(owner):
    customer = CustomerFactory(addresses=[ADDRESS])
    other = CustomerFactory(addresses=[ADDRESS])
    product = ProductFactory()
    good = {
        "customer": customer,
        "order_date": date(2024, 3, 1),
        "due_date": date(2024, 3, 5),
        "lines": [{"product": product, "quantity": Decimal("1")}],
    }

    for changes, field in _bad_input(customer, other, product):
        with pytest.raises(ValidationError) as error:
            order_create(actor=owner, **{**good, **changes})

        assert set(error.value.message_dict) == {field}, (changes, error.value.message_dict)
        assert (Order.objects.count(), OrderLine.objects.count()) == (0, 0)
        assert Order.history.count() == 0


def test_several_bad_lines_are_reported_together(owner):
    product = ProductFactory()

    with pytest.raises(ValidationError) as error:
        OrderFactory(
            lines=[
                {"product": product, "quantity": "dos"},
                {"product": None, "quantity": 1, "discount_percent": 200},
            ]
        )

    assert set(error.value.message_dict) == {
        "lines.0.quantity",
        "lines.1.product",
        "lines.1.discount_percent",
    }


@pytest.mark.parametrize("role", ["support", "readonly"])
def test_support_and_readonly_may_not_create_orders(user_with_role, role):
    customer = CustomerFactory()

    with pytest.raises(AccessDenied):
        OrderFactory(actor=user_with_role(role), customer=customer)

    assert Order.objects.count() == 0


def test_a_salesperson_limited_to_own_customers_orders_only_for_them(sales, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    mine = CustomerFactory(actor=sales)
    theirs = CustomerFactory()

    OrderFactory(actor=sales, customer=mine)
    with pytest.raises(AccessDenied):
        OrderFactory(actor=sales, customer=theirs)

    assert list(Order.objects.values_list("customer", flat=True)) == [mine.pk]


def test_a_merge_moves_the_orders_to_the_survivor(owner):
    survivor = CustomerFactory(addresses=[ADDRESS])
    duplicate = CustomerFactory(addresses=[{"street": "Calle 5 de Mayo 3", "city": "Puebla"}])
    order = OrderFactory(customer=duplicate, status=OrderStatus.CONFIRMED)

    customers_merge(actor=owner, survivor=survivor, duplicate=duplicate)

    order.refresh_from_db()
    assert order.customer == survivor
    assert order.delivery_address.customer == survivor
    assert Address.objects.filter(customer=survivor).count() == 2


def test_an_order_uses_another_address_of_the_customer_when_given(owner):
    customer = CustomerFactory(addresses=[ADDRESS])
    warehouse = address_create(actor=owner, customer=customer, street="Bodega 2", city="Cholula")

    order = OrderFactory(customer=customer, delivery_address=warehouse)

    assert order.delivery_address == warehouse

"""Changing orders: freely in draft, logged with a reason once confirmed, never when closed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.customers.services import address_create
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderChange, OrderLine, OrderStatus
from clientela.orders.services import order_update, product_deactivate
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    return {
        sku: ProductFactory(sku=sku, unit_price=Decimal(price))
        for sku, price in [("CONCHA", "12.00"), ("BOLILLO", "2.50"), ("ROSCA", "350.00")]
    }


def _order(products, status):
    customer = CustomerFactory(addresses=[{"street": "Reforma 1", "city": "Puebla"}])
    return OrderFactory(
        customer=customer,
        status=status,
        lines=[
            {"product": products["CONCHA"], "quantity": Decimal("10")},
            {"product": products["BOLILLO"], "quantity": Decimal("50"), "discount_percent": 5},
        ],
    )


def test_a_draft_changes_freely_and_without_a_log(owner, products):
    order = _order(products, OrderStatus.DRAFT)

    order_update(
        actor=owner,
        order=order,
        version=1,
        due_date=date(2024, 3, 20),
        lines=[{"product": products["ROSCA"], "quantity": 1}],
    )

    stored = Order.objects.get(pk=order.pk)
    assert (stored.due_date, stored.total) == (date(2024, 3, 20), Decimal("350.00"))
    assert list(stored.lines.values_list("product__sku", flat=True)) == ["ROSCA"]
    assert OrderChange.objects.count() == 0


def test_a_confirmed_order_records_every_difference_in_one_change(owner, products):
    order = _order(products, OrderStatus.IN_PRODUCTION)
    warehouse = address_create(
        actor=owner, customer=order.customer, street="Bodega 2", city="Cholula"
    )

    order_update(
        actor=owner,
        order=order,
        version=order.version,
        reason="El cliente pidió más conchas y una rosca",
        due_date=date(2024, 3, 15),
        delivery_address=warehouse,
        lines=[
            {
                "product": products["CONCHA"],
                "quantity": Decimal("12"),
                "unit_price": Decimal("11.50"),
                "discount_percent": Decimal("2.5"),
            },
            {"product": products["ROSCA"], "quantity": Decimal("1.5")},
        ],
    )

    change = OrderChange.objects.get()
    assert (change.order, change.changed_by) == (order, owner)
    assert change.reason == "El cliente pidió más conchas y una rosca"
    assert change.changes == [
        {"what": "due_date", "product": None, "old": "2024-03-10", "new": "2024-03-15"},
        {
            "what": "delivery_address",
            "product": None,
            "old": "Reforma 1, Puebla",
            "new": "Bodega 2, Cholula",
        },
        {"what": "quantity", "product": "CONCHA", "old": "10", "new": "12"},
        {"what": "unit_price", "product": "CONCHA", "old": "12.00", "new": "11.50"},
        {"what": "discount_percent", "product": "CONCHA", "old": "0", "new": "2.5"},
        {"what": "line_added", "product": "ROSCA", "old": "", "new": "1.5 × 350.00"},
        {"what": "line_removed", "product": "BOLILLO", "old": "50 × 2.50 −5%", "new": ""},
    ]
    stored = Order.objects.get(pk=order.pk)
    # 12 × 11.50 × 0.975 = 134.55; 1.5 × 350 = 525.00
    assert stored.total == Decimal("659.55")
    assert stored.status == OrderStatus.IN_PRODUCTION
    assert OrderLine.objects.filter(order=order).count() == 2


def test_a_renegotiation_needs_a_reason(owner, products):
    order = _order(products, OrderStatus.CONFIRMED)

    with pytest.raises(ValidationError) as error:
        order_update(actor=owner, order=order, version=order.version, due_date=date(2024, 3, 12))

    assert set(error.value.message_dict) == {"reason"}
    assert Order.objects.get(pk=order.pk).due_date == date(2024, 3, 10)
    assert OrderChange.objects.count() == 0


def test_notes_alone_are_not_a_renegotiation(owner, products):
    order = _order(products, OrderStatus.READY)

    order_update(actor=owner, order=order, version=order.version, notes="Tocar el timbre")

    assert Order.objects.get(pk=order.pk).notes == "Tocar el timbre"
    assert OrderChange.objects.count() == 0


def test_a_product_no_longer_sold_stays_on_the_order_that_has_it(owner, products):
    order = _order(products, OrderStatus.CONFIRMED)
    product_deactivate(actor=owner, product=products["BOLILLO"])

    order_update(
        actor=owner,
        order=order,
        version=order.version,
        reason="menos bolillos",
        lines=[
            {"product": products["CONCHA"], "quantity": 10},
            {"product": products["BOLILLO"], "quantity": 40, "discount_percent": 5},
        ],
    )

    assert OrderChange.objects.get().changes == [
        {"what": "quantity", "product": "BOLILLO", "old": "50", "new": "40"}
    ]


@pytest.mark.parametrize("status", [OrderStatus.DELIVERED, OrderStatus.CANCELLED])
def test_closed_orders_refuse_changes(owner, products, status):
    order = _order(products, status)

    with pytest.raises(ValidationError) as error:
        order_update(actor=owner, order=order, version=order.version, reason="x", notes="y")

    assert set(error.value.message_dict) == {"status"}
    assert Order.objects.get(pk=order.pk).notes == ""


def test_bad_lines_in_a_renegotiation_write_nothing(owner, products):
    order = _order(products, OrderStatus.CONFIRMED)

    with pytest.raises(ValidationError) as error:
        order_update(
            actor=owner,
            order=order,
            version=order.version,
            reason="x",
            due_date=date(2024, 2, 1),
            lines=[{"product": products["CONCHA"], "quantity": 0}],
        )

    assert set(error.value.message_dict) == {"due_date", "lines.0.quantity"}
    assert OrderChange.objects.count() == 0
    assert OrderLine.objects.filter(order=order, product__sku="BOLILLO").exists()
    assert Order.objects.get(pk=order.pk).version == order.version


def test_a_stale_version_is_refused(owner, products):
    order = _order(products, OrderStatus.CONFIRMED)
    stale_version = order.version
    order_update(actor=owner, order=order, version=stale_version, notes="primero")

    with pytest.raises(ConflictError):
        order_update(
            actor=owner,
            order=Order.objects.get(pk=order.pk),
            version=stale_version,
            reason="x",
            due_date=date(2024, 3, 12),
        )

    assert OrderChange.objects.count() == 0


def test_a_salesperson_limited_to_own_customers_cannot_change_others_orders(
    sales, products, settings
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    order = _order(products, OrderStatus.DRAFT)

    with pytest.raises(AccessDenied):
        order_update(actor=sales, order=order, version=order.version, notes="x")

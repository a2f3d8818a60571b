"""Recording payments: exact balances, credits only when asked, never on drafts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.core.access import AccessDenied
from clientela.orders.models import Order, OrderStatus, Payment
from clientela.orders.services import order_update, payment_record
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
MARCH_2 = date(2024, 3, 2)


@pytest.fixture
def order(db):
    """3 × 33.33 with 10% off: 89.991 → 89.99."""
    product = ProductFactory(unit_price=Decimal("33.33"))
    return OrderFactory(
        status=OrderStatus.CONFIRMED,
        lines=[{"product": product, "quantity": 3, "discount_percent": 10}],
    )


def test_payments_add_up_to_the_total_exactly(owner, order):
    for amount in ("0.01", "29.99", "59.99"):
        payment_record(
            actor=owner, order=order, amount=Decimal(amount), method="cash", paid_on=MARCH_2
        )

    stored = Order.objects.get(pk=order.pk)
    assert (stored.total, stored.paid, stored.balance) == (
        Decimal("89.99"),
        Decimal("89.99"),
        Decimal("0.00"),
    )
    assert order.paid == Decimal("89.99")
    assert Payment.objects.filter(order=order).count() == 3
    assert Payment.objects.first().recorded_by == owner


def test_more_than_the_balance_is_refused_naming_the_balance(owner, order):
    payment_record(actor=owner, order=order, amount=Decimal("50"), method="card", paid_on=MARCH_2)

    with pytest.raises(ValidationError) as error:
        payment_record(actor=owner, order=order, amount=Decimal("40"), method="card")

    assert "39.99 MXN" in error.value.message_dict["amount"][0]
    assert Order.objects.get(pk=order.pk).paid == Decimal("50.00")


def test_more_than_the_balance_leaves_a_credit_when_asked(owner, order):
    payment_record(
        actor=owner, order=order, amount=Decimal("100"), method="transfer", leaves_credit=True
    )

    assert Order.objects.get(pk=order.pk).balance == Decimal("-10.01")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-5")}, "amount"),
        ({"amount": Decimal("1.001")}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"paid_on": date(2024, 2, 1)}, "paid_on"),
        ({"paid_on": "tomorrow"}, "paid_on"),
    ],
)
def test_bad_payments_are_refused_and_write_nothing(owner, order, changes, field):
    if changes.get("paid_on") == "tomorrow":
        changes["paid_on"] = timezone.localdate() + timedelta(days=1)
    good = {"amount": Decimal("10"), "method": "cash", "paid_on": MARCH_2}

    with pytest.raises(ValidationError) as error:
        payment_record(actor=owner, order=order, **{**good, **changes})

    assert set(error.value.message_dict) == {field}
    assert Payment.objects.count() == 0
    assert Order.objects.get(pk=order.pk).paid == 0


@pytest.mark.parametrize("status", [OrderStatus.DRAFT, OrderStatus.CANCELLED])
def test_no_payments_on_drafts_or_cancelled_orders(owner, status):
    order = OrderFactory(status=status)

    with pytest.raises(ValidationError) as error:
        payment_record(actor=owner, order=order, amount=Decimal("1"), method="cash")

    assert set(error.value.message_dict) == {"status"}
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("role", ["support", "readonly"])
def test_support_and_readonly_may_not_record_payments(user_with_role, order, role):
    with pytest.raises(AccessDenied):
        payment_record(actor=user_with_role(role), order=order, amount=1, method="cash")


def test_a_payment_is_not_undone_by_a_later_save_of_a_stale_order(owner, order):
    stale = Order.objects.get(pk=order.pk)
    payment_record(actor=owner, order=order, amount=Decimal("10"), method="cash")

    order_update(actor=owner, order=stale, version=stale.version, notes="nota")

    assert Order.objects.get(pk=order.pk).paid == Decimal("10.00")

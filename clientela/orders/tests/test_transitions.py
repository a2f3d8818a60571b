"""Moving orders along their statuses, and correcting the actual dates afterwards."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.orders.models import ORDER_TRANSITIONS, Order, OrderChange, OrderStatus
from clientela.orders.services import order_record_dates, order_transition, payment_record
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

PAIRS = [(a, b) for a in OrderStatus.values for b in OrderStatus.values]
ALLOWED = [(a, b) for a, b in PAIRS if b in ORDER_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in PAIRS if b not in ORDER_TRANSITIONS[a]]


def _order(status: str) -> Order:
    return OrderFactory(status=status, finished_on=date(2024, 3, 8), delivered_on=date(2024, 3, 9))


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_every_allowed_move_is_made(owner, start, to):
    order = _order(start)

    order_transition(actor=owner, order=order, version=order.version, to=to, reason="why")

    stored = Order.objects.get(pk=order.pk)
    assert stored.status == to
    assert stored.history.first().history_user == owner


@pytest.mark.parametrize(("start", "to"), REFUSED)
def test_every_other_move_is_refused_in_words(owner, start, to):
    order = _order(start)

    with pytest.raises(ValidationError) as error:
        order_transition(actor=owner, order=order, version=order.version, to=to, reason="why")

    labels = dict(OrderStatus.choices)
    assert error.value.message_dict == {
        "status": [f"An order cannot go from “{labels[start]}” to “{labels[to]}”."]
    }
    assert Order.objects.get(pk=order.pk).status == start


def test_each_move_records_its_date(owner):
    order = OrderFactory()

    order = order_transition(actor=owner, order=order, version=1, to=OrderStatus.CONFIRMED)
    assert order.confirmed_at is not None
    order = order_transition(actor=owner, order=order, version=2, to=OrderStatus.IN_PRODUCTION)
    order = order_transition(
        actor=owner, order=order, version=3, to=OrderStatus.READY, on=date(2024, 3, 7)
    )
    order = order_transition(actor=owner, order=order, version=4, to=OrderStatus.DELIVERED)

    stored = Order.objects.get(pk=order.pk)
    assert stored.production_finished_on == date(2024, 3, 7)
    assert stored.delivered_on == timezone.localdate()
    assert stored.version == 5


def test_cancelling_needs_a_reason_and_keeps_it(owner):
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    with pytest.raises(ValidationError) as error:
        order_transition(actor=owner, order=order, version=2, to=OrderStatus.CANCELLED, reason=" ")
    assert set(error.value.message_dict) == {"reason"}
    order_transition(actor=owner, order=order, version=2, to=OrderStatus.CANCELLED, reason="caro")

    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.cancel_reason) == (OrderStatus.CANCELLED, "caro")


def test_a_cancelled_order_keeps_its_payments_as_a_credit(owner):
    order = OrderFactory(
        status=OrderStatus.CONFIRMED,
        lines=[{"product": ProductFactory(unit_price=Decimal("100.00")), "quantity": 1}],
    )
    payment_record(
        actor=owner, order=order, amount=Decimal("40.00"), method="cash", paid_on=date(2024, 3, 2)
    )

    order_transition(
        actor=owner, order=order, version=order.version, to=OrderStatus.CANCELLED, reason="x"
    )

    stored = Order.objects.get(pk=order.pk)
    assert (stored.total, stored.paid, stored.balance) == (
        Decimal("100.00"),
        Decimal("40.00"),
        Decimal("-40.00"),
    )
    assert stored.payments.count() == 1


@pytest.mark.parametrize(
    ("to", "start", "on", "field"),
    [
        (OrderStatus.READY, OrderStatus.IN_PRODUCTION, date(2024, 2, 28), "production_finished_on"),
        (OrderStatus.READY, OrderStatus.IN_PRODUCTION, "tomorrow", "production_finished_on"),
        (OrderStatus.DELIVERED, OrderStatus.READY, date(2024, 3, 7), "delivered_on"),
        (OrderStatus.DELIVERED, OrderStatus.READY, "tomorrow", "delivered_on"),
    ],
)
def test_impossible_dates_are_refused(owner, to, start, on, field):
    order = _order(start)
    if on == "tomorrow":
        on = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        order_transition(actor=owner, order=order, version=order.version, to=to, on=on)

    assert set(error.value.message_dict) == {field}
    assert Order.objects.get(pk=order.pk).status == start


def test_a_stale_version_is_refused(owner):
    order = OrderFactory()
    order_transition(actor=owner, order=order, version=1, to=OrderStatus.CONFIRMED)

    stale = Order.objects.get(pk=order.pk)
    with pytest.raises(ConflictError):
        order_transition(actor=owner, order=stale, version=1, to=OrderStatus.IN_PRODUCTION)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("role", ["support", "readonly"])
def test_support_and_readonly_may_not_move_orders(user_with_role, role):
    order = OrderFactory()

    with pytest.raises(AccessDenied):
        order_transition(actor=user_with_role(role), order=order, version=1, to="confirmed")


def test_actual_dates_are_corrected_with_a_reason_and_logged(owner):
    order = _order(OrderStatus.DELIVERED)

    order_record_dates(
        actor=owner,
        order=order,
        version=order.version,
        reason="se capturó mal",
        production_finished_on=date(2024, 3, 6),
        delivered_on=date(2024, 3, 7),
    )

    stored = Order.objects.get(pk=order.pk)
    assert (stored.production_finished_on, stored.delivered_on) == (
        date(2024, 3, 6),
        date(2024, 3, 7),
    )
    change = OrderChange.objects.get()
    assert (change.changed_by, change.reason) == (owner, "se capturó mal")
    assert change.changes == [
        {
            "what": "production_finished_on",
            "product": None,
            "old": "2024-03-08",
            "new": "2024-03-06",
        },
        {"what": "delivered_on", "product": None, "old": "2024-03-09", "new": "2024-03-07"},
    ]


@pytest.mark.parametrize(
    ("start", "dates", "fields"),
    [
        (OrderStatus.DELIVERED, {"delivered_on": date(2024, 3, 7)}, {"delivered_on"}),
        (
            OrderStatus.DELIVERED,
            {"production_finished_on": date(2024, 2, 1)},
            {"production_finished_on"},
        ),
        (OrderStatus.READY, {"delivered_on": date(2024, 3, 9)}, {"delivered_on"}),
        (OrderStatus.DELIVERED, {"delivered_on": date(2024, 3, 8)}, None),
    ],
)
def test_corrections_keep_the_rules_of_the_moves(owner, start, dates, fields):
    order = _order(start)
    reason = "" if fields is None else "corrección"

    with pytest.raises(ValidationError) as error:
        order_record_dates(actor=owner, order=order, version=order.version, reason=reason, **dates)

    assert set(error.value.message_dict) == (fields or {"reason"})
    assert OrderChange.objects.count() == 0
    assert Order.objects.get(pk=order.pk).version == order.version

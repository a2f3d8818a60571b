"""Test factories that build products and orders through the services, as users do."""

from datetime import date
from decimal import Decimal

import factory

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import ORDER_TRANSITIONS, Order, OrderStatus, Product
from clientela.orders.services import order_create, order_transition, product_create

# The path an order takes to reach each status.
PATH = [
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.READY,
    OrderStatus.DELIVERED,
]


class ProductFactory(factory.Factory):
    """``ProductFactory(unit_price=...)`` creates through ``product_create``."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"PAN-{n:03d}")
    name = factory.Sequence(lambda n: f"Pan de muerto {n}")
    unit_price = Decimal("10.00")

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return product_create(actor=actor, **kwargs)


class OrderFactory(factory.Factory):
    """``OrderFactory(lines=[...], status="ready")`` creates through the services.

    Without lines it orders one unit of a new product; ``status`` walks the order
    along the allowed moves (``finished_on``/``delivered_on`` date those steps).
    """

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    order_date = date(2024, 3, 1)
    due_date = date(2024, 3, 10)
    lines = factory.LazyFunction(lambda: [{"product": ProductFactory(), "quantity": 1}])

    @classmethod
    def _create(
        cls,
        model_class,
        *args,
        actor=None,
        status=OrderStatus.DRAFT,
        finished_on=None,
        delivered_on=None,
        **kwargs,
    ):
        order = order_create(actor=actor, **kwargs)
        return order_move(order, status, finished_on=finished_on, delivered_on=delivered_on)


def order_move(order: Order, status: str, *, finished_on=None, delivered_on=None) -> Order:
    """Walk ``order`` along the allowed moves to ``status``, as the system."""
    if status == OrderStatus.CANCELLED:
        return order_transition(
            actor=None, order=order, version=order.version, to=status, reason="test"
        )
    if status == OrderStatus.DRAFT:
        return order
    for step in PATH[PATH.index(order.status) + 1 if order.status in PATH else 0 :]:
        assert step in ORDER_TRANSITIONS[order.status]
        on = {OrderStatus.READY: finished_on, OrderStatus.DELIVERED: delivered_on}.get(step)
        order = order_transition(actor=None, order=order, version=order.version, to=step, on=on)
        if step == status:
            break
    return order

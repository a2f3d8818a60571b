"""The order book's items on a customer's timeline: each order on its order date."""

from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.core.locale import money_text
from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.timeline import TimelineCursor, TimelineItem, day_start
from clientela.orders.models import Order


def order_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """The customer's orders, newest order date first."""
    orders = Order.objects.filter(customer=customer)
    if cursor is not None:
        orders = orders.filter(cursor.older_by_day("order", "order_date"))
    return [
        TimelineItem(
            when=day_start(order.order_date),
            kind="order",
            key=order.pk,
            title=_("Order %(number)s") % {"number": order.reference or f"#{order.pk}"},
            label=order.get_status_display(),
            text=money_text(order.total, order.currency),
            url=reverse("orders:detail", args=[order.pk]),
            icon="receipt",
        )
        for order in orders.order_by("-order_date", "-id")[:limit]
    ]

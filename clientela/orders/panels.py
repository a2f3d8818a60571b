"""The orders section of a customer's page."""

from typing import Any

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.orders.selectors import customer_order_summary, order_list

RECENT_ORDERS = 5


def customer_orders_panel(customer: Customer, user: User) -> dict[str, Any] | None:
    """The customer's figures and latest orders, for those who may see orders."""
    if not user_can(user, Capability.ORDER_VIEW):
        return None
    return {
        "customer": customer,
        "summary": customer_order_summary(customer=customer),
        "orders": list(order_list(user=user, customer=customer)[:RECENT_ORDERS]),
        "can_order": user_can(user, Capability.ORDER_EDIT) and customer.merged_into_id is None,
    }

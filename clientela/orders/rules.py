"""The rules of the order book as side-effect-free checks.

Each ``*_problems`` function says why the order services would refuse what it is
given: messages by field, empty when it passes. A value given as None is not checked
(not given, or its error is given already). The services raise these problems; the
import's dry run refuses its rows with them, so both say the same.
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.money import money_round
from clientela.orders.models import CLOSED_STATUSES, ORDER_TRANSITIONS, OrderStatus, Product

Problems = dict[str, list[str]]

# Payments are recorded for the orders a customer committed to: neither drafts nor cancelled.
UNPAYABLE_STATUSES = frozenset({OrderStatus.DRAFT, OrderStatus.CANCELLED})


def _add(problems: Problems, field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


# --- status -------------------------------------------------------------------------


def negative_price() -> str:
    """Why a price below zero is refused, wherever a product is priced (an order's line,
    an event's item)."""
    return _("The price cannot be negative.")


def order_status_path(status: str, to: str) -> list[str] | None:
    """The moves along ``ORDER_TRANSITIONS`` that take an order from ``status`` to ``to``,
    the fewest there are (none when already there), or None when it cannot get there."""
    paths: dict[str, list[str]] = {status: []}
    reached = [status]
    while reached:
        following = []
        for current in reached:
            for step in sorted(ORDER_TRANSITIONS.get(current, ())):
                if step not in paths:
                    paths[step] = [*paths[current], step]
                    following.append(step)
        reached = following
    return paths.get(to)


def order_status_problems(*, status: str, to: str, walk: bool = False) -> Problems:
    """Why an order in ``status`` cannot get to ``to``: in one move of
    ``ORDER_TRANSITIONS`` or, with ``walk``, in as many as ``order_status_path`` takes.
    Keyed "status"."""
    if to in ORDER_TRANSITIONS[status] or (walk and order_status_path(status, to) is not None):
        return {}
    labels = dict(OrderStatus.choices)
    return {
        "status": [
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": labels[status], "to": labels.get(to, to)}
        ]
    }


def order_change_problems(*, status: str) -> Problems:
    """Why an order in ``status`` cannot change its due date, address, notes or lines:
    it is closed (``Order.is_closed``). Keyed "status"."""
    if status in CLOSED_STATUSES:
        return {"status": [_("A delivered or cancelled order can no longer be changed.")]}
    return {}


# --- orders and their lines ---------------------------------------------------------


def order_problems(
    *,
    order_date: date | None,
    due_date: date | None = None,
    production_finished_on: date | None = None,
    delivered_on: date | None = None,
) -> Problems:
    """Why an order ordered on ``order_date`` would be refused these dates: a due date
    before the order date; a production or delivery date before the order date or
    later than today; a delivery before production finished. Keyed by date field."""
    problems: Problems = {}
    if due_date is not None and order_date is not None and due_date < order_date:
        _add(problems, "due_date", _("The due date cannot be before the order date."))
    today = timezone.localdate()
    for field, value in (
        ("production_finished_on", production_finished_on),
        ("delivered_on", delivered_on),
    ):
        if value is None:
            continue
        if order_date is not None and value < order_date:
            _add(
                problems,
                field,
                _("This date cannot be before the order date (%(date)s).") % {"date": order_date},
            )
        elif value > today:
            _add(problems, field, _("This date cannot be in the future."))
    finished, delivered = production_finished_on, delivered_on
    if finished and delivered and delivered < finished and "delivered_on" not in problems:
        _add(
            problems,
            "delivered_on",
            _("The delivery cannot be before production finished (%(date)s).") % {"date": finished},
        )
    return problems


def order_line_problems(
    *,
    currency: str,
    product: Product | None = None,
    already_on_order: bool = False,
    quantity: Decimal | None = None,
    unit_price: Decimal | None = None,
    discount_percent: Decimal | None = None,
) -> Problems:
    """Why an order in ``currency`` would refuse a line of ``product`` (which stays on
    the order it is ``already_on_order`` even when no longer sold) with this quantity,
    unit price and discount. Keyed "product", "quantity", "unit_price" and
    "discount_percent"."""
    problems: Problems = {}
    if product is not None:
        if not product.is_active and not already_on_order:
            _add(
                problems, "product", _("%(product)s is no longer sold.") % {"product": product.sku}
            )
        elif product.currency != currency:
            _add(
                problems,
                "product",
                _("%(product)s is priced in %(product_currency)s; orders are in %(currency)s.")
                % {
                    "product": product.sku,
                    "product_currency": product.currency,
                    "currency": currency,
                },
            )
    if quantity is not None and quantity <= 0:
        _add(problems, "quantity", _("The quantity must be more than zero."))
    if unit_price is not None and unit_price < 0:
        _add(problems, "unit_price", negative_price())
    if discount_percent is not None and not 0 <= discount_percent <= 100:
        _add(problems, "discount_percent", _("The discount must be between 0 and 100 per cent."))
    return problems


# --- payments -----------------------------------------------------------------------


def payment_problems(
    *,
    status: str | None = None,
    order_date: date | None = None,
    paid_on: date | None = None,
    amount: Decimal | None = None,
    balance: Decimal | None = None,
    currency: str = "",
    leaves_credit: bool = False,
) -> Problems:
    """Why a payment of ``amount`` on ``paid_on`` for an order in ``status``, ordered on
    ``order_date`` and owing ``balance`` (in ``currency``), would be refused. A draft or
    cancelled order takes no payment: that is then the one problem, keyed "status".
    Otherwise the amount must be more than zero and, unless it ``leaves_credit``, no
    more than the balance; the day not before the order date nor later than today.
    Keyed "amount" and "paid_on"."""
    if status in UNPAYABLE_STATUSES:
        return {"status": [_("Payments are recorded for confirmed orders that are not cancelled.")]}
    problems: Problems = {}
    if amount is not None and amount <= 0:
        _add(problems, "amount", _("The amount must be more than zero."))
    elif amount is not None and balance is not None and amount > balance and not leaves_credit:
        _add(
            problems,
            "amount",
            _(
                "The balance is %(balance)s %(currency)s. To take more, record that the "
                "excess stays as a credit."
            )
            % {
                "balance": money_round(max(balance, Decimal(0)), currency),
                "currency": currency,
            },
        )
    if paid_on is not None and order_date is not None and paid_on < order_date:
        _add(problems, "paid_on", _("A payment cannot be before the order date."))
    elif paid_on is not None and paid_on > timezone.localdate():
        _add(problems, "paid_on", _("A payment cannot be in the future."))
    return problems

"""The order rules as pure checks: what a user is told, without a database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.orders.models import ORDER_TRANSITIONS, Order, OrderStatus, Product
from clientela.orders.rules import (
    order_change_problems,
    order_line_problems,
    order_problems,
    order_status_path,
    order_status_problems,
    payment_problems,
)

S = OrderStatus
MARCH_1 = date(2024, 3, 1)
TOMORROW = timezone.localdate() + timedelta(days=1)


def _product(**fields) -> Product:
    return Product(**{"sku": "BOL-01", "currency": "MXN", "is_active": True, **fields})


# --- status -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to", "path"),
    [
        (S.DRAFT, S.DRAFT, []),
        (S.DRAFT, S.CONFIRMED, [S.CONFIRMED]),
        (S.DRAFT, S.DELIVERED, [S.CONFIRMED, S.IN_PRODUCTION, S.READY, S.DELIVERED]),
        (S.CONFIRMED, S.READY, [S.IN_PRODUCTION, S.READY]),
        (S.READY, S.DELIVERED, [S.DELIVERED]),
        (S.IN_PRODUCTION, S.CANCELLED, [S.CANCELLED]),
        (S.DRAFT, S.CANCELLED, [S.CANCELLED]),
        (S.DELIVERED, S.DELIVERED, []),
        (S.READY, S.CONFIRMED, None),
        (S.CONFIRMED, S.DRAFT, None),
        (S.DELIVERED, S.CANCELLED, None),
        (S.CANCELLED, S.CONFIRMED, None),
        (S.DRAFT, "lost", None),
    ],
)
def test_the_path_of_statuses_walks_forward_or_cancels_in_one_move(start, to, path):
    assert order_status_path(start, to) == path


def test_every_path_is_made_of_allowed_moves():
    for start in S.values:
        for to in S.values:
            path = order_status_path(start, to)
            if path is None:
                continue
            at = start
            for step in path:
                assert step in ORDER_TRANSITIONS[at]
                at = step
            assert at == to


def test_an_order_moves_one_status_at_a_time_unless_it_walks():
    assert order_status_problems(status=S.CONFIRMED, to=S.IN_PRODUCTION) == {}
    assert order_status_problems(status=S.CONFIRMED, to=S.READY) == {
        "status": ["An order cannot go from “Confirmed” to “Ready”."]
    }
    assert order_status_problems(status=S.CONFIRMED, to=S.READY, walk=True) == {}
    assert order_status_problems(status=S.CONFIRMED, to=S.CONFIRMED, walk=True) == {}


def test_a_move_back_or_to_nowhere_is_refused_walking_or_not():
    for walk in (False, True):
        assert order_status_problems(status=S.READY, to=S.DRAFT, walk=walk) == {
            "status": ["An order cannot go from “Ready” to “Draft”."]
        }
        assert order_status_problems(status=S.DRAFT, to="lost", walk=walk) == {
            "status": ["An order cannot go from “Draft” to “lost”."]
        }


@pytest.mark.parametrize("status", S.values)
def test_delivered_and_cancelled_orders_are_closed_and_cannot_change(status):
    closed = status in (S.DELIVERED, S.CANCELLED)

    assert Order(status=status).is_closed == closed
    assert order_change_problems(status=status) == (
        {"status": ["A delivered or cancelled order can no longer be changed."]} if closed else {}
    )


# --- orders -------------------------------------------------------------------------


def test_dates_that_pass():
    assert order_problems(order_date=MARCH_1, due_date=MARCH_1) == {}
    assert (
        order_problems(
            order_date=MARCH_1,
            due_date=date(2024, 3, 5),
            production_finished_on=date(2024, 3, 4),
            delivered_on=date(2024, 3, 4),
        )
        == {}
    )
    assert order_problems(order_date=None, due_date=MARCH_1) == {}


def test_the_due_date_cannot_be_before_the_order_date():
    assert order_problems(order_date=MARCH_1, due_date=date(2024, 2, 29)) == {
        "due_date": ["The due date cannot be before the order date."]
    }


def test_production_and_delivery_happen_after_the_order_and_not_later_than_today():
    assert order_problems(
        order_date=MARCH_1, production_finished_on=date(2024, 2, 28), delivered_on=TOMORROW
    ) == {
        "production_finished_on": ["This date cannot be before the order date (2024-03-01)."],
        "delivered_on": ["This date cannot be in the future."],
    }


def test_a_delivery_cannot_precede_the_end_of_production_unless_refused_already():
    assert order_problems(
        order_date=MARCH_1,
        production_finished_on=date(2024, 3, 5),
        delivered_on=date(2024, 3, 4),
    ) == {"delivered_on": ["The delivery cannot be before production finished (2024-03-05)."]}
    assert order_problems(
        order_date=MARCH_1,
        production_finished_on=date(2024, 3, 5),
        delivered_on=date(2024, 2, 28),
    ) == {"delivered_on": ["This date cannot be before the order date (2024-03-01)."]}


# --- lines --------------------------------------------------------------------------


def test_a_line_that_passes():
    problems = order_line_problems(
        currency="MXN",
        product=_product(),
        quantity=Decimal("0.5"),
        unit_price=Decimal(0),
        discount_percent=Decimal(100),
    )

    assert problems == {}


def test_a_product_no_longer_sold_stays_only_on_the_orders_that_have_it():
    product = _product(is_active=False)

    assert order_line_problems(currency="MXN", product=product) == {
        "product": ["BOL-01 is no longer sold."]
    }
    assert order_line_problems(currency="MXN", product=product, already_on_order=True) == {}


def test_a_product_is_ordered_in_the_orders_currency():
    problems = order_line_problems(currency="MXN", product=_product(currency="USD"))

    assert problems == {"product": ["BOL-01 is priced in USD; orders are in MXN."]}


def test_the_numbers_of_a_line_are_checked_each_in_its_field():
    problems = order_line_problems(
        currency="MXN",
        quantity=Decimal(0),
        unit_price=Decimal("-0.01"),
        discount_percent=Decimal("100.01"),
    )

    assert problems == {
        "quantity": ["The quantity must be more than zero."],
        "unit_price": ["The price cannot be negative."],
        "discount_percent": ["The discount must be between 0 and 100 per cent."],
    }
    assert order_line_problems(currency="MXN", discount_percent=Decimal(-1)) == {
        "discount_percent": ["The discount must be between 0 and 100 per cent."]
    }


# --- payments -----------------------------------------------------------------------


def test_a_payment_that_passes():
    problems = payment_problems(
        status=S.CONFIRMED,
        order_date=MARCH_1,
        paid_on=MARCH_1,
        amount=Decimal("10.00"),
        balance=Decimal("10.00"),
        currency="MXN",
    )

    assert problems == {}


@pytest.mark.parametrize("status", [S.DRAFT, S.CANCELLED])
def test_drafts_and_cancelled_orders_take_no_payment_whatever_else_is_wrong(status):
    problems = payment_problems(
        status=status, order_date=MARCH_1, paid_on=TOMORROW, amount=Decimal(0)
    )

    assert problems == {
        "status": ["Payments are recorded for confirmed orders that are not cancelled."]
    }


def test_an_amount_is_more_than_zero_and_no_more_than_the_balance_unless_a_credit():
    def amount(value: str, leaves_credit: bool = False):
        return payment_problems(
            amount=Decimal(value),
            balance=Decimal("-5.00"),
            currency="MXN",
            leaves_credit=leaves_credit,
        )

    assert amount("0") == {"amount": ["The amount must be more than zero."]}
    assert amount("0.01") == {
        "amount": [
            "The balance is 0.00 MXN. To take more, record that the excess stays as a credit."
        ]
    }
    assert amount("0.01", leaves_credit=True) == {}
    assert amount("-1", leaves_credit=True) == {"amount": ["The amount must be more than zero."]}


def test_a_payment_is_made_after_the_order_and_not_later_than_today():
    assert payment_problems(order_date=MARCH_1, paid_on=date(2024, 2, 29)) == {
        "paid_on": ["A payment cannot be before the order date."]
    }
    assert payment_problems(order_date=MARCH_1, paid_on=TOMORROW) == {
        "paid_on": ["A payment cannot be in the future."]
    }

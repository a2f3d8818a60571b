"""The money-owed page: the total due, its aging, per order and per customer, sorted,
exported, each order with its "Record payment"."""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders import selectors, services

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
URL = reverse("orders:owing")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _orders(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-order="(\d+)">', response.content.decode())]


def _customers(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-customer="(\d+)">', response.content.decode())]


def _buckets(response) -> dict[str, str]:
    """Each aging bucket's amount and order count, as shown: key → "amount · N orders"."""
    found = re.findall(
        r'data-bucket="([\w]+)".*?data-bucket-amount>(.*?)</div>\s*'
        r'<div class="small text-body-secondary">(.*?)</div>',
        _page(response),
        re.S,
    )
    return {key: f"{amount} · {count}" for key, amount, count in found}


def _owing_order(owner, customer, product, *, days_overdue: int, quantity: int, paid=0):
    """A confirmed order of ``quantity`` × 10.00 due ``days_overdue`` days ago."""
    due = TODAY - timedelta(days=days_overdue)
    order = services.order_create(
        actor=owner,
        customer=customer,
        order_date=min(due, TODAY) - timedelta(days=3),
        due_date=due,
        lines=[{"product": product, "quantity": quantity}],
    )
    order = services.order_transition(
        actor=None, order=order, version=order.version, to="confirmed"
    )
    if paid:
        services.payment_record(actor=owner, order=order, amount=Decimal(paid), method="cash")
    return order


@pytest.fixture
def book(owner, sales):
    """Owing orders in every aging bucket, of two customers; and orders that owe nothing."""
    espiga = CustomerFactory(actor=owner, name="Panadería La Espiga", owner=sales)
    portal = CustomerFactory(actor=owner, name="Cafetería El Portal")
    pan = services.product_create(actor=owner, sku="PAN-1", name="Pan", unit_price=Decimal("10"))
    orders = {
        "not_due": _owing_order(owner, espiga, pan, days_overdue=-5, quantity=1),
        "1_30": _owing_order(owner, espiga, pan, days_overdue=10, quantity=2, paid=5),
        "31_60": _owing_order(owner, portal, pan, days_overdue=45, quantity=3),
        "61_90": _owing_order(owner, portal, pan, days_overdue=61, quantity=4),
        "over_90": _owing_order(owner, portal, pan, days_overdue=120, quantity=5),
    }
    # owing nothing: paid in full, a draft, a cancelled order
    _owing_order(owner, espiga, pan, days_overdue=20, quantity=1, paid=10)
    services.order_create(
        actor=owner,
        customer=portal,
        due_date=TODAY - timedelta(days=0),
        order_date=TODAY,
        lines=[{"product": pan, "quantity": 9}],
    )
    cancelled = _owing_order(owner, portal, pan, days_overdue=30, quantity=7)
    services.order_transition(
        actor=None, order=cancelled, version=cancelled.version, to="cancelled", reason="test"
    )
    return {"espiga": espiga, "portal": portal, "orders": orders, "pan": pan}


def test_the_total_and_its_aging_each_open_their_orders(client, readonly, book):
    client.force_login(readonly)

    # when the owner opens the money owed
    response = client.get(URL)

    # then it shows the total due and what part is how late
    page = _page(response)
    assert re.search(r"data-owed-total>MX\$145\.00<", page)
    assert "MX$135.00 overdue, 4 orders" in page
    assert _buckets(response) == {
        "not_due": "MX$10.00 · 1 order",
        "1_30": "MX$15.00 · 1 order",
        "31_60": "MX$30.00 · 1 order",
        "61_90": "MX$40.00 · 1 order",
        "over_90": "MX$50.00 · 1 order",
    }
    # and every owing order, the most days overdue first, with its days
    orders = book["orders"]
    assert _orders(response) == [
        orders[key].pk for key in ("over_90", "61_90", "31_60", "1_30", "not_due")
    ]
    assert re.findall(r"data-days-overdue>(.*?)</td>", page) == [
        "120",
        "61",
        "45",
        "10",
        "not yet due",
    ]
    # and each bucket opens exactly its orders
    for key, order in orders.items():
        assert _orders(client.get(URL + f"?aging={key}")) == [order.pk]
    assert len(_orders(client.get(URL + "?aging=overdue"))) == 4


def test_per_customer_with_their_total_sorted_by_days_overdue(client, readonly, book):
    client.force_login(readonly)
    espiga, portal = book["espiga"].pk, book["portal"].pk

    # when the owner asks per customer
    response = client.get(URL + "?by=customers")

    # then each customer shows their total, the most days overdue first
    assert _customers(response) == [portal, espiga]
    page = _page(response)
    assert "MX$120.00" in page and "MX$25.00" in page
    # and the sort turns round, or goes by the balance
    assert _customers(client.get(URL + "?by=customers&sort=-overdue")) == [espiga, portal]
    assert _customers(client.get(URL + "?by=customers&sort=balance")) == [portal, espiga]
    # and within a bucket only the customers with orders in it
    assert _customers(client.get(URL + "?by=customers&aging=1_30")) == [espiga]
    # and a customer opens their own owing orders and what they owe
    orders = book["orders"]
    theirs = client.get(URL + f"?customer={espiga}")
    assert _orders(theirs) == [orders["1_30"].pk, orders["not_due"].pk]
    assert re.search(r"data-owed-total>MX\$25\.00<", _page(theirs))


def test_orders_sort_by_fewest_days_overdue_or_the_largest_balance(client, readonly, book):
    client.force_login(readonly)
    orders = book["orders"]

    fewest = _orders(client.get(URL + "?sort=-overdue"))
    largest = _orders(client.get(URL + "?sort=balance"))

    order = ("not_due", "1_30", "31_60", "61_90", "over_90")
    assert fewest == [orders[key].pk for key in order]
    assert largest == [orders[key].pk for key in reversed(order)]


def test_a_salesperson_sees_their_own_customers_when_they_ask(client, sales, book):
    client.force_login(sales)

    response = client.get(URL + "?mine=on")

    orders = book["orders"]
    assert _orders(response) == [orders["1_30"].pk, orders["not_due"].pk]
    assert re.search(r"data-owed-total>MX\$25\.00<", _page(response))


def test_export_writes_what_is_shown(client, readonly, book):
    client.force_login(readonly)

    per_order = client.get(reverse("orders:owing_export") + "?format=csv&aging=overdue")
    per_customer = client.get(reverse("orders:owing_export") + "?format=csv&by=customers")

    rows = list(csv.reader(io.StringIO(b"".join(per_order.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "Number",
        "Reference",
        "Customer",
        "Due",
        "Days overdue",
        "Total",
        "Paid",
        "Balance",
        "Currency",
    ]
    assert [row[4] for row in rows[1:]] == ["120", "61", "45", "10"]
    assert rows[-1][5:] == ["20.00", "5.00", "15.00", "MXN"]
    customers = list(
        csv.reader(io.StringIO(b"".join(per_customer.streaming_content).decode("utf-8-sig")))
    )
    assert [row[0] for row in customers[1:]] == ["Cafetería El Portal", "Panadería La Espiga"]
    assert customers[1][1:4] == ["3", "120.00", "120.00"]
    assert customers[1][5] == "120"


def test_record_payment_opens_the_orders_payment_form_with_its_balance(client, sales, book):
    client.force_login(sales)
    order = book["orders"]["1_30"]

    # when the salesperson follows "Record payment" from the money owed
    listed = _page(client.get(URL))
    link = f"{reverse('orders:detail', args=[order.pk])}?pay=1#payments"
    assert f'href="{link}"' in listed
    detail = _page(client.get(link))

    # then the order's payment form is open with the balance to pay
    assert re.search(r"<details open>\s*<summary[^>]*>Record a payment", detail)
    assert re.search(r'name="payment-amount" value="15(\.00)?"', detail)
    # and once paid the order leaves the money owed
    client.post(
        reverse("orders:payment", args=[order.pk]),
        {"payment-amount": "15", "payment-method": "cash", "payment-paid_on": TODAY.isoformat()},
    )
    assert order.pk not in _orders(client.get(URL))


def test_a_read_only_user_is_not_offered_to_record_payments(client, readonly, book):
    client.force_login(readonly)

    assert "data-record-payment" not in _page(client.get(URL))


def test_the_totals_are_one_grouped_query(owner, book, django_assert_num_queries):
    with django_assert_num_queries(1):
        totals = selectors.money_owed_totals(user=owner)

    assert len(totals) == 1 and totals[0].owed.amount == Decimal("145.00")


@pytest.mark.parametrize("by", ["orders", "customers"])
def test_the_page_runs_the_same_number_of_queries_for_5_and_25_orders(client, owner, by):
    pan = services.product_create(actor=owner, sku="PAN-1", name="Pan", unit_price=Decimal("10"))

    def owing(numbers):
        for number in numbers:
            customer = CustomerFactory(actor=owner, name=f"Cliente {number}")
            _owing_order(owner, customer, pan, days_overdue=number * 7 - 30, quantity=1)

    owing(range(5))
    client.force_login(owner)
    url = URL + f"?by={by}"
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    owing(range(5, 25))
    with CaptureQueriesContext(connection) as twenty_five:
        response = client.get(url)

    rows = _customers(response) if by == "customers" else _orders(response)
    assert len(rows) == 25
    assert len(twenty_five) == len(five)

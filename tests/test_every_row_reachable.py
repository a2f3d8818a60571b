"""Every list pages to its last row: where counting stops at ``CLIENTELA_COUNT_LIMIT``
the count reads "More than N" and the pages go on by cursor; where the number is known
it is shown as it is."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from clientela.analytics.tests.test_views import _book, _run
from clientela.customers.tests.factories import CustomerFactory
from clientela.events.tests.factories import EventFactory
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'<a class="page-link" href="([^"]+)" rel="next">')


def _walk(client, url: str, query: dict | None = None) -> list[str]:
    """Every page of a list from its first, following "Next"; their text."""
    pages = [client.get(url, query or {})]
    while match := NEXT.search(pages[-1].content.decode()):
        assert len(pages) < 20, "the pages never end"
        pages.append(client.get(url + html.unescape(match.group(1))))
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", p.content.decode())).split()) for p in pages
    ]


@pytest.fixture
def small_pages(settings):
    settings.CLIENTELA_COUNT_LIMIT = 3
    settings.CLIENTELA_PAGE_SIZE = 2
    return settings


def _reached(pages: list[str], names: list[str]) -> list[str]:
    """The names, in the order of the first page each appears on."""
    found = []
    for text in pages:
        on_page = sorted((text.index(name), name) for name in names if name in text)
        found += [name for _at, name in on_page if name not in found]
    return found


def _customers(owner, count=5):
    return [CustomerFactory(actor=owner, name=f"Cliente {chr(65 + n)}") for n in range(count)]


def test_the_customer_list(client, owner, small_pages):
    names = [customer.name for customer in _customers(owner)]
    client.force_login(owner)

    pages = _walk(client, "/customers/")

    assert _reached(pages, names) == names  # A to E, the last one on the last page
    assert "More than 3 customers" in pages[0] and "narrow the search" not in pages[0]
    assert "Cliente E" in pages[-1]


def test_the_order_list_and_its_owing_filter(client, owner, small_pages):
    customers = _customers(owner)
    for n, customer in enumerate(customers):
        OrderFactory(
            actor=owner,
            customer=customer,
            order_date=date(2024, 3, 1) + timedelta(days=n),
            due_date=date(2024, 3, 10) + timedelta(days=n),
            status="confirmed",
        )
    client.force_login(owner)
    names = [customer.name for customer in customers]

    newest_first = _walk(client, "/orders/")
    earliest_due_first = _walk(client, "/orders/", {"owing": "on"})

    assert _reached(newest_first, names) == names[::-1]
    assert _reached(earliest_due_first, names) == names
    assert "More than 3 orders" in newest_first[0]
    small_pages.CLIENTELA_COUNT_LIMIT = 5
    exact = _walk(client, "/orders/")
    assert "5 orders" in exact[0] and "More than" not in exact[0] and len(exact) == 3


def test_the_product_list(client, owner, small_pages):
    names = [ProductFactory(name=f"Pan {chr(65 + n)}").name for n in range(5)]
    client.force_login(owner)

    pages = _walk(client, "/orders/products/")

    assert _reached(pages, names) == names and "More than 3 products" in pages[0]


def test_the_event_list(client, owner, small_pages):
    names = [
        EventFactory(name=f"Feria {n}", start_date=date(2024, 1, 1) + timedelta(days=30 * n)).name
        for n in range(5)
    ]
    client.force_login(owner)

    pages = _walk(client, "/events/")

    assert _reached(pages, names) == names[::-1] and "More than 3 events" in pages[0]


def test_the_score_list(client, owner, small_pages):
    customers = _book(6)
    _run()
    client.force_login(owner)

    pages = _walk(client, "/analytics/customers/")

    assert set(_reached(pages, [customer.name for customer in customers])) == {
        customer.name for customer in customers
    }
    assert "More than 3 customers" in pages[0]


def test_the_late_orders_show_their_kept_count_and_every_page(client, owner, small_pages):
    concha = ProductFactory(name="Concha", unit_price=Decimal("12.50"), lead_time_tolerance_days=0)
    customers = _customers(owner)
    for n, customer in enumerate(customers):
        OrderFactory(
            actor=owner,
            customer=customer,
            lines=[{"product": concha, "quantity": 1}],
            order_date=date(2024, 3, 1),
            due_date=date(2024, 3, 10),
            status="delivered",
            finished_on=date(2024, 3, 10),
            delivered_on=date(2024, 3, 12) + timedelta(days=n),
        )
    client.force_login(owner)

    pages = _walk(
        client, "/orders/lead-times/late/", {"date_from": "2024-03-01", "date_to": "2024-04-30"}
    )

    names = [customer.name for customer in customers]
    assert _reached(pages, names) == names[::-1]  # latest delivered first
    assert "5 orders" in pages[0] and "More than" not in pages[0]

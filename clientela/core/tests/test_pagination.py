"""Long lists count their matches only up to the count limit, say so, and still page to
their last row."""

import pytest

from clientela.core.pagination import CappedPaginator, count_up_to
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_customers(owner):
    for name in ["Abarrotes Ana", "Birria Beto", "Cafetería Cielo", "Dulcería Dora", "Elotes Eva"]:
        CustomerFactory(actor=owner, name=name)
    return Customer.objects.order_by("name")


def test_count_up_to_reads_one_row_past_the_limit(five_customers):
    assert count_up_to(five_customers, 3) == 4
    assert count_up_to(five_customers, 10) == 5


def _names(page) -> list[str]:
    return [customer.name for customer in page]


def test_the_paginator_stops_counting_at_the_limit_and_pages_on_by_cursor(five_customers):
    paginator = CappedPaginator(five_customers, 2, limit=3)

    assert (paginator.count, paginator.count_is_exact, paginator.num_pages) == (3, False, 2)
    second = paginator.page_from({"page": "2"})
    assert _names(second) == ["Cafetería Cielo", "Dulcería Dora"]  # a full page
    assert second.has_next() and second.next_page is None and second.next_cursor
    third = paginator.page_from({"after": second.next_cursor})
    assert _names(third) == ["Elotes Eva"]
    assert (third.number, third.has_next(), third.has_previous()) == (None, False, True)
    back = paginator.page_from({"before": third.previous_cursor})
    assert _names(back) == ["Cafetería Cielo", "Dulcería Dora"]
    last = paginator.page_from({"page": "last"})
    assert _names(last) == ["Dulcería Dora", "Elotes Eva"] and not last.has_next()
    assert _names(paginator.page_from({"after": "not-a-cursor"})) == _names(paginator.page(1))
    exact = CappedPaginator(five_customers, 2, limit=5)
    assert (exact.count, exact.count_is_exact, exact.num_pages) == (5, True, 3)
    assert _names(exact.page_from({"page": "last"})) == ["Elotes Eva"]


@pytest.mark.parametrize(
    "ordering", [("name",), ("-name",), ("owner", "name"), ("-owner", "-id"), ("-created_at",)]
)
def test_cursors_walk_every_row_once_either_way_nulls_included(owner, ordering):
    other = UserFactory(username="otro")
    for number in range(7):
        CustomerFactory(
            actor=owner,
            name=f"Cliente {number % 3}",  # equal names: the id breaks the tie
            owner=[None, owner, other][number % 3],
        )
    rows = Customer.objects.order_by(*ordering)
    paginator = CappedPaginator(rows, 2, limit=1)
    expected = [customer.pk for customer in paginator.object_list]

    forward, page = [], paginator.page_from({})
    while True:
        forward += [customer.pk for customer in page]
        if not page.has_next():
            break
        page = paginator.page_from({"after": page.next_cursor})
    backward, page = [], paginator.page_from({"page": "last"})
    while True:
        backward = [customer.pk for customer in page] + backward
        if not page.has_previous():
            break
        query = {"page": page.previous_page} if page.previous_page else {}
        page = paginator.page_from(query or {"before": page.previous_cursor})

    assert forward == expected and backward == expected and len(expected) == 7


def test_the_customer_list_says_more_than_the_limit_and_reaches_the_last(
    client, owner, five_customers, settings
):
    settings.CLIENTELA_COUNT_LIMIT = 3
    settings.CLIENTELA_PAGE_SIZE = 2
    client.force_login(owner)

    page = client.get("/customers/").content.decode()

    assert "More than 3 customers" in page
    assert "narrow the search" not in page  # every row can be reached
    assert "Elotes Eva" in client.get("/customers/", {"page": "last"}).content.decode()
    narrowed = client.get("/customers/", {"q": "dora"}).content.decode()
    assert "1 customer" in narrowed and "More than" not in narrowed


def test_a_search_sorts_the_first_matches_found_and_pages_through_them(owner, settings):
    from clientela.customers.selectors import customer_list

    settings.CLIENTELA_COUNT_LIMIT = 3
    for name in [
        "Panadería Eva",
        "Panadería Ana",
        "Panadería Dora",
        "Panadería Beto",
        "Café Cielo",
    ]:
        CustomerFactory(actor=owner, name=name)

    found = customer_list(user=owner, search="panaderia")
    paginator = CappedPaginator(found, 2)

    assert (paginator.count, paginator.count_is_exact, paginator.num_pages) == (3, False, 2)
    shown = [c.name for number in (1, 2) for c in paginator.get_page(number)]
    assert len(shown) == 3 and shown == sorted(shown)
    assert "Café Cielo" not in shown
    assert found[0].name == shown[0]
    settings.CLIENTELA_COUNT_LIMIT = 10
    assert [c.name for c in customer_list(user=owner, search="panaderia", ordering="-name")] == [
        "Panadería Eva",
        "Panadería Dora",
        "Panadería Beto",
        "Panadería Ana",
    ]

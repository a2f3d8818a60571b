"""Long lists count their matches only up to the count limit, and say so."""

import pytest

from clientela.core.pagination import CappedPaginator, count_up_to
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_customers(owner):
    for name in ["Abarrotes Ana", "Birria Beto", "Cafetería Cielo", "Dulcería Dora", "Elotes Eva"]:
        CustomerFactory(actor=owner, name=name)
    return Customer.objects.order_by("name")


def test_count_up_to_reads_one_row_past_the_limit(five_customers):
    assert count_up_to(five_customers, 3) == 4
    assert count_up_to(five_customers, 10) == 5


def test_the_paginator_stops_counting_and_pages_at_the_limit(five_customers):
    paginator = CappedPaginator(five_customers, 2, limit=3)

    assert (paginator.count, paginator.count_is_exact, paginator.num_pages) == (3, False, 2)
    assert [c.name for c in paginator.get_page(99)] == ["Cafetería Cielo"]  # the first 3 only
    exact = CappedPaginator(five_customers, 2, limit=5)
    assert (exact.count, exact.count_is_exact, exact.num_pages) == (5, True, 3)


def test_the_customer_list_says_more_than_the_limit(client, owner, five_customers, settings):
    settings.CLIENTELA_COUNT_LIMIT = 3
    client.force_login(owner)

    page = client.get("/customers/").content.decode()

    assert "More than 3 customers" in page
    assert "narrow the search" in page
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

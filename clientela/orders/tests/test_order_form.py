"""Taking an order by the customer's name, with a running total, a product's price as it
is picked and a warning when the customer has nowhere to deliver to; the form works
without JavaScript (these requests are what a browser without it sends)."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders import services
from clientela.orders.models import Order

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def book(owner):
    customers = {
        "mary": CustomerFactory(
            actor=owner,
            name="Cazuelas Doña Mary",
            addresses=[{"street": "Calle 5 de Mayo 10", "city": "Puebla"}],
        ),
        "sur": CustomerFactory(actor=owner, name="Cazuelas del Sur"),
        "espiga": CustomerFactory(
            actor=owner,
            name="Panadería La Espiga",
            addresses=[{"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México"}],
        ),
    }
    concha = services.product_create(
        actor=owner, sku="CON-1", name="Concha de vainilla", unit_price=Decimal("12.50")
    )
    bolillo = services.product_create(
        actor=owner, sku="BOL-1", name="Bolillo", unit_price=Decimal("3.00"), unit="pza"
    )
    return {**customers, "concha": concha, "bolillo": bolillo}


def _form(book, **changes) -> dict:
    data = {
        "customer": "",
        "delivery_address": "",
        "order_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=3)).isoformat(),
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": str(book["bolillo"].pk),
        "lines-0-quantity": "10",
        "lines-1-product": str(book["concha"].pk),
        "lines-1-quantity": "4",
        "lines-1-discount_percent": "10",
    }
    data.update(changes)
    return data


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_a_name_that_finds_one_customer_takes_the_order(client, sales, book):
    client.force_login(sales)

    response = client.post(reverse("orders:create"), _form(book, customer="espiga"))

    assert response.status_code == 302, _text(response)
    order = Order.objects.get()
    assert order.customer == book["espiga"]
    assert order.total == Decimal("75.00")  # 10 × 3.00 + 4 × 12.50 × 0.9


def test_a_name_that_finds_several_offers_them_and_the_pick_saves(client, sales, book):
    client.force_login(sales)

    refused = client.post(reverse("orders:create"), _form(book, customer="Cazuelas"))

    assert refused.status_code == 200 and not Order.objects.exists()
    assert "2 customers match “Cazuelas”: pick one below." in _text(refused)
    page = refused.content.decode()
    assert re.search(rf'type="radio" name="customer_pick"[^>]*value="{book["sur"].pk}"', page)
    assert "Type the customer's number" not in page
    saved = client.post(
        reverse("orders:create"), _form(book, customer="Cazuelas", customer_pick=book["sur"].pk)
    )
    assert saved.status_code == 302 and Order.objects.get().customer == book["sur"]


def test_an_exact_name_a_number_and_a_stale_pick(client, sales, book):
    client.force_login(sales)

    exact = client.post(reverse("orders:create"), _form(book, customer="cazuelas del  sur"))
    number = client.post(reverse("orders:create"), _form(book, customer=f"#{book['mary'].pk}"))
    # a pick the text no longer finds (the name typed over it) does not win
    stale = client.post(
        reverse("orders:create"),
        _form(book, customer="Espiga", customer_pick=book["sur"].pk),
    )

    assert [o.customer for o in Order.objects.order_by("pk")] == [
        book["sur"],
        book["mary"],
        book["espiga"],
    ]
    assert exact.status_code == number.status_code == stale.status_code == 302


def test_a_name_that_finds_nobody_says_so_and_writes_nothing(client, sales, book):
    client.force_login(sales)

    response = client.post(reverse("orders:create"), _form(book, customer="Tortillería"))

    assert "No customer matches “Tortillería”" in _text(response)
    assert not Order.objects.exists()


def test_suggestions_are_a_listbox_of_customers_found_as_the_list_finds_them(client, sales, book):
    client.force_login(sales)

    response = client.get(reverse("orders:customer_lookup"), {"customer": "cazuelas"})

    options = re.findall(
        r'<li role="option" id="customer-option-(\d+)"[^>]*data-name="([^"]*)"',
        response.content.decode(),
    )
    assert [(int(pk), html.unescape(name)) for pk, name in options] == [
        (book["mary"].pk, "Cazuelas Doña Mary"),
        (book["sur"].pk, "Cazuelas del Sur"),
    ]


def test_a_customer_without_an_address_is_warned_about(client, sales, book):
    client.force_login(sales)

    picked = client.get(reverse("orders:address_options"), {"customer": book["sur"].pk})
    with_address = client.get(reverse("orders:address_options"), {"customer": book["mary"].pk})
    page = client.post(
        reverse("orders:create"), _form(book, customer="Cazuelas del Sur", add_line="1")
    )

    assert "Cazuelas del Sur has no delivery address yet" in _text(picked)
    assert 'hx-swap-oob="true"' in picked.content.decode()
    assert "no delivery address" not in _text(with_address)
    assert "Calle 5 de Mayo 10" in _text(with_address)
    assert "Cazuelas del Sur has no delivery address yet" in _text(page)


def test_the_running_total_prices_the_lines_as_the_order_would(client, sales, book):
    client.force_login(sales)

    total = client.post(reverse("orders:lines_total"), _form(book, customer="x"))
    removed = client.post(reverse("orders:lines_total"), _form(book, **{"lines-1-DELETE": "on"}))
    half_typed = client.post(
        reverse("orders:lines_total"), _form(book, **{"lines-1-quantity": "abc"})
    )

    assert _text(total) == "MX$75.00"
    assert _text(removed) == "MX$30.00"
    twice = client.post(
        reverse("orders:lines_total"),
        _form(book, **{"lines-1-product": str(book["bolillo"].pk)}),
    )

    # a line that does not read yet, or that the order would refuse, counts nothing, and
    # the total says why
    assert _text(half_typed).startswith("MX$30.00")
    assert "Line 2 is not counted: Quantity:" in _text(half_typed)
    assert _text(twice).startswith("MX$30.00")
    assert "Line 2 is not counted: Product: " in _text(twice)
    assert "is already on line 1" in _text(twice)
    assert "not counted" not in _text(total) + _text(removed)


def test_the_form_shows_each_products_price_and_the_total_without_javascript(client, sales, book):
    client.force_login(sales)

    page = client.post(reverse("orders:create"), _form(book, customer="espiga", add_line="1"))

    text = _text(page)
    assert "MX$3.00 per pza" in text and "MX$12.50 per pza" in text
    assert re.search(r'<option value="\d+" data-price="MX\$12.50 per pza"', page.content.decode())
    assert 'id="lines-total"' in page.content.decode() and "MX$75.00" in text
    assert 'id="line-template"' in page.content.decode()  # what "Add a line" copies
    assert not Order.objects.exists()


def test_changing_an_order_counts_a_product_no_longer_sold_that_it_already_has(client, owner, book):
    # given a draft order of 2 conchas, and conchas no longer sold
    order = services.order_create(
        actor=owner,
        customer=book["espiga"],
        due_date=TODAY + timedelta(days=3),
        lines=[{"product": book["concha"], "quantity": Decimal(2)}],
    )
    services.product_deactivate(actor=owner, product=book["concha"])
    client.force_login(owner)

    # when the order is opened to be changed and its quantity typed again
    page = client.get(reverse("orders:edit", args=[order.pk]))
    lines = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": str(book["concha"].pk),
        "lines-0-quantity": "3",
    }
    typed = client.post(reverse("orders:lines_total", args=[order.pk]), lines)
    new_order = client.post(reverse("orders:lines_total"), lines)

    # then its running total counts the conchas, as saving the change would; a new order
    # may not take them
    assert re.search(r'<output id="lines-total"[^>]*>\s*MX\$25\.00', page.content.decode())
    assert _text(typed) == "MX$37.50"
    assert _text(new_order).startswith("MX$0.00")

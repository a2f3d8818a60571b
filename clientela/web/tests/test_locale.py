"""Numbers, money, quantities and dates in the user's language and the business's country
(es-MX, es-ES, ru-RU, en-US), alike from Babel and from Django's own localisation, on the
pages people read and in the forms they type into."""

import html
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from clientela.analytics.services import analysis_run
from clientela.analytics.tests.factories import customers_bulk_create, purchases_create
from clientela.core.locale import business_language, locale_tag, money_text, quantity_text
from clientela.customers.services import customer_create
from clientela.events.models import EventProduct, EventSale
from clientela.events.selectors import event_plan
from clientela.events.services import event_item_set, event_sale_record
from clientela.events.tests.factories import EventFactory
from clientela.orders.models import OrderStatus, Payment, Product
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
# Two conchas at 1,315,404.87: an order of 2,630,809.74.
PRICE = Decimal("1315404.87")


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def _text(response) -> str:
    """The page's words, tags removed, runs of ordinary spaces made one (no-break kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", _page(response)))


@pytest.fixture
def business(settings):
    """``business("ES", "EUR")``: the business moves to that country and currency."""

    def move(country: str, currency: str) -> None:
        settings.CLIENTELA_DEFAULT_COUNTRY = country
        settings.CLIENTELA_CURRENCY = currency

    return move


@pytest.fixture
def speaking(client):
    """``speaking(user, "es")``: ``user`` logged in, having chosen that language."""

    def login(user, language: str):
        client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return login


# --- one locale for Babel and Django ------------------------------------------------

FIGURES = Template(
    "{% load clientela l10n %}{{ count }}|{{ amount|floatformat:2 }}|{{ amount|localize }}|"
    "{{ price|money }}|{{ pieces|quantity:'pza' }}|{{ weight|quantity:'kg' }}|"
    '{{ day|date:"SHORT_DATE_FORMAT" }}|{{ day|date:"DATE_FORMAT" }}|{{ share|percent }}'
)


@pytest.mark.parametrize(
    ("country", "currency", "language", "tag", "figures"),
    [
        (
            "MX",
            "MXN",
            "es",
            "es-MX",
            "2,630,809|2,630,809.74|2,630,809.74|$2,630,809.74 MXN|421|2.5|"
            "06/12/2026|6 de diciembre de 2026|91%",
        ),
        (
            "ES",
            "EUR",
            "es",
            "es-ES",
            "2.630.809|2.630.809,74|2.630.809,74|2.630.809,74 €|421|2,5|"
            "06/12/2026|6 de diciembre de 2026|91 %",
        ),
        (
            "RU",
            "RUB",
            "ru",
            "ru-RU",
            "2 630 809|2 630 809,74|2 630 809,74|2 630 809,74 ₽|421|2,5|"
            "06.12.2026|6 декабря 2026 г.|91 %",
        ),
        (
            "MX",
            "MXN",
            "ru",
            "ru-RU",
            "2 630 809|2 630 809,74|2 630 809,74|2 630 809,74 MX$|421|2,5|"
            "06.12.2026|6 декабря 2026 г.|91 %",
        ),
        (
            "US",
            "USD",
            "en",
            "en-US",
            "2,630,809|2,630,809.74|2,630,809.74|$2,630,809.74|421|2.5|12/06/2026|Dec. 6, 2026|91%",
        ),
        (
            "MX",
            "MXN",
            "en",
            "en-US",
            "2,630,809|2,630,809.74|2,630,809.74|MX$2,630,809.74|421|2.5|12/06/2026|Dec. 6, 2026|91%",
        ),
    ],
)
def test_babel_and_django_write_figures_alike_in_the_language_and_the_business_country(
    business, country, currency, language, tag, figures
):
    # given a business in ``country``, a user reading in ``language``
    business(country, currency)
    context = Context(
        {
            "count": 2630809,
            "amount": 2630809.74,
            "price": Decimal("2630809.74"),
            "pieces": Decimal("420.603"),
            "weight": Decimal("2.500"),
            "day": date(2026, 12, 6),
            "share": 0.914,
        }
    )
    with translation.override(language):
        # then Django's filters and Babel's agree, in the locale of both
        assert locale_tag() == tag
        assert FIGURES.render(context).replace(NBSP, " ") == figures
        # and a form field shows a number that way and reads it back
        shown = formats.localize_input(Decimal("2630809.74"))
        assert shown.replace(NBSP, " ") == figures.split("|")[1]
        assert formats.sanitize_separators(shown) == "2630809.74"


def test_a_code_printed_as_the_symbol_stays_apart_from_the_digits():
    with translation.override("es"):
        assert money_text(Decimal("12"), "EUR") == f"EUR{NBSP}12.00"
        assert money_text(Decimal("12"), "USD") == f"USD{NBSP}12.00"


def test_quantities_in_pieces_are_whole_and_measures_keep_their_decimals():
    with translation.override("es"):
        assert quantity_text(Decimal("420.603"), "pza") == "421"
        assert quantity_text(Decimal("1420.5"), "Pzas.") == "1,421"
        assert quantity_text(Decimal("3.250"), "docena") == "3"
        assert quantity_text(Decimal("2.750"), "Kg") == "2.75"
        assert quantity_text(Decimal("2.750"), "л") == "2.75"
        assert quantity_text(Decimal("12.000")) == "12"


# --- the language: chosen, else the browser's, else CLIENTELA_LANGUAGE ----------------


def test_a_user_who_chose_no_language_gets_the_browsers_in_the_business_country(client, readonly):
    # given an order of $2,630,809.74 and a user who never chose a language
    order = OrderFactory(lines=[{"product": ProductFactory(unit_price=PRICE), "quantity": 2}])
    client.force_login(readonly)
    address = reverse("orders:detail", args=[order.pk])

    # when the browser asks for Mexican Spanish, the page is Spanish written the Mexican way
    spanish = _text(client.get(address, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5"))
    assert "Fecha del pedido" in spanish or "Pedido" in spanish
    assert f"$2,630,809.74{NBSP}MXN" in spanish
    assert "1 de marzo de 2024" in spanish
    # a browser in Russian gets Russian, written the Russian way
    russian = _text(client.get(address, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9"))
    assert f"2{NBSP}630{NBSP}809,74{NBSP}MX$" in russian
    # and a browser in a language Clientela does not speak gets CLIENTELA_LANGUAGE
    english = _text(client.get(address, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert "MX$2,630,809.74" in english
    assert "March 1, 2024" in english


def test_without_a_browser_language_the_business_language_setting_applies(
    client, readonly, settings
):
    settings.LANGUAGE_CODE = "ru"  # CLIENTELA_LANGUAGE=ru
    order = OrderFactory(lines=[{"product": ProductFactory(unit_price=PRICE), "quantity": 2}])
    client.force_login(readonly)

    page = _page(client.get(reverse("orders:detail", args=[order.pk])))

    assert '<html lang="ru">' in page
    assert 'data-locale="ru-RU"' in page


def test_a_new_customer_speaks_the_business_language_unless_told(business, owner):
    # a Mexican business: Spanish, whatever the language of the person who adds it
    with translation.override("en"):
        assert customer_create(actor=owner, name="Cazuelas Doña Mari").language == "es"
    assert customer_create(actor=owner, name="Mr Smith", language="en").language == "en"
    # a Russian business: Russian
    business("RU", "RUB")
    assert business_language() == "ru"
    assert customer_create(actor=owner, name="ООО Ромашка").language == "ru"


def test_the_new_customer_form_offers_the_business_language(speaking, owner):
    page = _page(speaking(owner, "en").get(reverse("customers:create")))
    assert re.search(r'<option value="es" selected>', page)


# --- real pages ---------------------------------------------------------------------


def test_the_order_and_customer_pages_write_money_quantities_and_dates_the_mexican_way(
    speaking, readonly
):
    # given a Mexican business and an order of 2 conchas at $1,315,404.87
    concha = ProductFactory(name="Concha", unit_price=PRICE)
    order = OrderFactory(lines=[{"product": concha, "quantity": Decimal("2")}])
    client = speaking(readonly, "es")

    # when a Spanish-speaking user opens the order
    text = _text(client.get(reverse("orders:detail", args=[order.pk])))

    # then money, quantities and dates read as in Mexico, not as in Spain
    assert f"$1,315,404.87{NBSP}MXN" in text
    assert f"$2,630,809.74{NBSP}MXN" in text
    assert "2,630.809" not in text and "2.630.809,74" not in text
    assert re.search(r"\b2 pza\b", text)
    assert "1 de marzo de 2024" in text
    # and the customer's page too
    text = _text(client.get(reverse("customers:detail", args=[order.customer.pk])))
    assert f"$2,630,809.74{NBSP}MXN" in text
    assert "01/03/2024" in text


def test_the_order_page_writes_the_spanish_way_when_the_business_is_in_spain(
    business, speaking, readonly
):
    business("ES", "EUR")
    product = ProductFactory(name="Ensaimada", unit_price=PRICE)
    order = OrderFactory(lines=[{"product": product, "quantity": Decimal("2")}])

    text = _text(speaking(readonly, "es").get(reverse("orders:detail", args=[order.pk])))

    assert f"2.630.809,74{NBSP}€" in text
    assert "1 de marzo de 2024" in text


def test_the_order_page_writes_the_russian_way(business, speaking, readonly):
    business("RU", "RUB")
    product = ProductFactory(name="Батон", unit_price=PRICE)
    order = OrderFactory(lines=[{"product": product, "quantity": Decimal("2")}])

    text = _text(speaking(readonly, "ru").get(reverse("orders:detail", args=[order.pk])))

    assert f"2{NBSP}630{NBSP}809,74{NBSP}₽" in text
    assert "1 марта 2024 г." in text


def test_the_event_plan_suggests_whole_pieces_grouped_the_mexican_way(speaking, readonly):
    # given two past fairs at the Zócalo where conchas sold by the thousand
    concha = ProductFactory(name="Concha", unit_price=Decimal("14.00"))
    assert Product.objects.get(pk=concha.pk).unit == "pza"
    for start, sold in ((date(2024, 1, 15), 1250), (date(2024, 3, 10), 1611)):
        past = EventFactory(name=f"Feria {start}", location="Zócalo", start_date=start)
        item = event_item_set(
            actor=None,
            event=past,
            product=concha,
            quantity_brought=Decimal(2000),
            quantity_expected=Decimal(1500),
        )
        event_sale_record(actor=None, item=item, sold_on=start, quantity=Decimal(sold))
    coming = EventFactory(name="Feria de mayo", location="Zócalo", start_date=date(2024, 5, 12))
    suggestion = event_plan(event=coming).lines[0].quantity
    assert suggestion >= 1000  # a figure whose grouping shows

    # when a Spanish-speaking user in Mexico opens the plan
    text = _text(speaking(readonly, "es").get(reverse("events:plan", args=[coming.pk])))

    # then the suggestion is whole conchas with a thousands comma: no 1.234,567
    whole = int(suggestion.quantize(Decimal(1), ROUND_HALF_UP))
    assert f"Concha {whole:,} " in text
    assert f"{suggestion:.3f}".replace(".", ",") not in text


def test_the_analytics_dashboard_writes_money_and_dates_the_mexican_way(speaking, readonly):
    # given 20 customers who spent over a million pesos in all, over three visits this year
    as_of = date(2024, 6, 30)
    total = Decimal(0)
    for index, customer in enumerate(customers_bulk_create(20)):
        visits = [
            (as_of - timedelta(days=days), Decimal("30000.17") + index * Decimal("1789.31") * share)
            for days, share in ((200, 1), (120, 2), (30 + index, 3))
        ]
        purchases_create(customer, visits)
        total += sum(amount for _day, amount in visits)
    analysis_run(actor=None, as_of=as_of)

    text = _text(speaking(readonly, "es").get(reverse("analytics:dashboard")))

    assert f"${total:,.2f}{NBSP}MXN" in text
    assert "30 de junio de 2024" in text
    assert f"{total:,.2f}".translate(str.maketrans(",.", ".,")) not in text
    assert "El mejor 20%" in text  # the Pareto line's share, the Mexican way

    # and in Russian the percent sign stands apart, as Russian writes it
    russian = _text(speaking(readonly, "ru").get(reverse("analytics:dashboard")))
    assert f"Лучшие 20{NBSP}% клиентов" in russian
    scores = _text(speaking(readonly, "ru").get(reverse("analytics:scores")))
    assert "30 июня 2024 г." in scores and "г.." not in scores + russian  # one full stop


# --- forms read what they show ------------------------------------------------------


def test_a_mexican_user_types_a_price_with_a_thousands_comma(speaking, owner):
    client = speaking(owner, "es")

    response = client.post(
        reverse("orders:product_create"),
        {
            "sku": "ros-gde",
            "name": "Rosca de reyes grande",
            "unit": "pza",
            "unit_price": "1,234.56",
            "lead_time_tolerance_days": 1,
        },
    )

    assert response.status_code == 302, _page(response)
    product = Product.objects.get(sku="ROS-GDE")
    assert product.unit_price == Decimal("1234.56")
    # and the edit form shows it the way it was typed, and reads it back unchanged
    page = _page(client.get(reverse("orders:product_edit", args=[product.pk])))
    assert 'value="1,234.56"' in page


def test_a_spanish_user_types_a_price_the_spanish_way(business, speaking, owner):
    business("ES", "EUR")
    response = speaking(owner, "es").post(
        reverse("orders:product_create"),
        {
            "sku": "ens",
            "name": "Ensaimada",
            "unit": "pza",
            "unit_price": "1.234,56",
            "lead_time_tolerance_days": 1,
        },
    )
    assert response.status_code == 302, _page(response)
    assert Product.objects.get(sku="ENS").unit_price == Decimal("1234.56")


def _field_error(response, field_id: str) -> str:
    """The error shown beside the field ``field_id`` (empty when there is none)."""
    match = re.search(rf'id="{field_id}_error"[^>]*>(.*?)</div>', _page(response), re.S)
    return re.sub(r"[ \t\r\n]+", " ", match.group(1)).strip() if match else ""


@pytest.fixture
def owed():
    """A confirmed order of two conchas at $1,315,404.87, nothing paid yet."""
    concha = ProductFactory(name="Concha", unit_price=PRICE)
    return OrderFactory(status=OrderStatus.CONFIRMED, lines=[{"product": concha, "quantity": 2}])


def _pay(client, order, amount: str):
    return client.post(
        reverse("orders:payment", args=[order.pk]),
        {
            "payment-amount": amount,
            "payment-method": "cash",
            "payment-paid_on": "2024-03-02",
            "payment-reference": "",
        },
    )


def test_a_mexican_user_types_a_payment_with_a_thousands_comma(speaking, owner, owed):
    response = _pay(speaking(owner, "es"), owed, "1,234.56")

    assert response.status_code == 302, _page(response)
    assert Payment.objects.get(order=owed).amount == Decimal("1234.56")


def test_a_user_in_spain_types_a_payment_the_spanish_way(business, speaking, owner, owed):
    business("ES", "EUR")

    response = _pay(speaking(owner, "es"), owed, "1.234,56")

    assert response.status_code == 302, _page(response)
    assert Payment.objects.get(order=owed).amount == Decimal("1234.56")


@pytest.mark.parametrize(
    ("country", "currency", "language", "typed", "example"),
    [
        ("MX", "MXN", "es", "1,5", "1,234.56"),  # in Mexico not 15 nor 1.5: refused
        ("MX", "MXN", "es", "1.234,56", "1,234.56"),
        ("ES", "EUR", "es", "1.5", "1.234,56"),
        ("RU", "RUB", "ru", "сто", f"1{NBSP}234,56"),
    ],
)
def test_a_number_written_another_way_is_refused_beside_its_field_with_the_local_way(
    business, speaking, owner, owed, country, currency, language, typed, example
):
    business(country, currency)

    response = _pay(speaking(owner, language), owed, typed)

    assert response.status_code == 200
    error = _field_error(response, "id_payment-amount")
    assert example in error, error
    assert f'value="{typed}"' in _page(response)  # what was typed stays, to correct
    assert not Payment.objects.exists()


def test_a_user_in_spain_types_an_event_line_and_reads_it_back_the_spanish_way(
    business, speaking, owner
):
    business("ES", "EUR")
    ensaimada = ProductFactory(name="Ensaimada", unit_price=Decimal("2.50"))
    event = EventFactory(name="Fira de Sant Joan", start_date=date(2024, 6, 23))
    client = speaking(owner, "es")

    response = client.post(
        reverse("events:item_set", args=[event.pk]),
        {
            "product": ensaimada.pk,
            "quantity_brought": "1.500",
            "quantity_expected": "1.250,5",
            "unit_price": "1.234,56",
        },
    )

    assert response.status_code == 302, _page(response)
    item = EventProduct.objects.get(event=event, product=ensaimada)
    assert (item.quantity_brought, item.quantity_expected, item.unit_price) == (
        Decimal("1500"),
        Decimal("1250.5"),
        Decimal("1234.56"),
    )
    page = _page(client.get(reverse("events:item_set", args=[event.pk]), {"product": ensaimada.pk}))
    for shown in ("1.500", "1.250,5", "1.234,56"):
        assert f'value="{shown}"' in page, shown


def test_a_mexican_user_types_a_days_sales_with_a_thousands_comma(speaking, owner):
    concha = ProductFactory(name="Concha", unit_price=Decimal("14.00"))
    event = EventFactory(name="Feria del Zócalo", start_date=date(2024, 3, 10))
    item = event_item_set(
        actor=None,
        event=event,
        product=concha,
        quantity_brought=Decimal(3000),
        quantity_expected=Decimal(2000),
    )
    client = speaking(owner, "es")
    cell = f"sale-{item.pk}-2024-03-10"
    save = reverse("events:sales_save", args=[event.pk])

    # a number written the Spanish way is refused in its cell, nothing written
    refused = client.post(save, {"version": event.sales_version, cell: "1.250,5"})
    assert "1,234.56" in _field_error(refused, f"id_{cell}")
    assert not EventSale.objects.exists()

    # the Mexican way is recorded, and the grid shows it so again
    saved = client.post(save, {"version": event.sales_version, cell: "1,250"})
    assert saved.status_code == 302, _page(saved)
    assert EventSale.objects.get(item=item).quantity == Decimal("1250")
    page = _page(client.get(reverse("events:detail", args=[event.pk])))
    assert re.search(rf'name="{cell}"[^>]*value="1,250"', page)


def test_a_user_in_spain_types_order_lines_the_spanish_way(business, speaking, owner):
    business("ES", "EUR")
    ensaimada = ProductFactory(name="Ensaimada", unit_price=Decimal("2.50"))
    order = OrderFactory(
        status=OrderStatus.DRAFT, lines=[{"product": ensaimada, "quantity": Decimal("2")}]
    )
    client = speaking(owner, "es")
    lines = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": str(ensaimada.pk),
        "lines-0-quantity": "1.200",
        "lines-0-unit_price": "1.234,56",
        "lines-0-discount_percent": "2,5",
    }

    # the running total reads the lines as typed: 1200 × 1234.56 less 2.5 %
    total = _text(client.post(reverse("orders:lines_total"), lines))
    assert f"1.444.435,20{NBSP}€" in total

    # and the order saves them so, and its form shows them the Spanish way
    edit = reverse("orders:edit", args=[order.pk])
    form = _page(client.get(edit))
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    for shown in ("2", "2,50"):  # a price shows its cents
        assert re.search(rf'name="lines-0-(quantity|unit_price)" value="{shown}"', form), shown
    response = client.post(
        edit,
        {
            **lines,
            "customer": order.customer.pk,
            "delivery_address": "",
            "due_date": order.due_date.isoformat(),
            "notes": "",
            "version": version,
        },
    )
    assert response.status_code == 302, _page(response)
    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.discount_percent) == (
        Decimal("1200"),
        Decimal("1234.56"),
        Decimal("2.5"),
    )
    page = _page(client.get(edit))
    for name, shown in (("quantity", "1.200"), ("unit_price", "1.234,56")):
        assert re.search(rf'name="lines-0-{name}" value="{shown}"', page), name

"""Finding customers and reading their history."""

import pytest

from clientela.customers.selectors import (
    customer_children,
    customer_cities,
    customer_history,
    customer_list,
)
from clientela.customers.services import contact_create, customer_update
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(owner, sales):
    espiga = CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        tax_id="PLE990101AB7",
        emails=["ventas@espiga.mx"],
        phones=["55 1234 5678"],
        tags=["VIP"],
        owner=sales,
        source="referral",
        addresses=[{"street": "Orizaba 101", "city": "Ciudad de México", "postal_code": "06700"}],
    )
    contact_create(actor=owner, customer=espiga, name="María Núñez")
    ole = CustomerFactory(
        actor=owner,
        name="Café Olé",
        phones=["55 8765 4321"],
        source="walk_in",
        addresses=[{"street": "Juárez 5", "city": "Puebla"}],
    )
    return espiga, ole


@pytest.mark.parametrize(
    "query",
    [
        "panaderia",
        "PANADERÍA espiga",
        "ple9901",
        "5512345678",
        "55 1234 5678",
        "+52 1 55 1234 5678",
        "044 55 1234 5678",
        "01 (55) 1234-5678",
        "ventas@espiga.mx",
        "maria nunez",
    ],
)
def test_search_finds_by_name_tax_id_phone_email_and_contact(catalog, owner, query):
    assert [c.name for c in customer_list(user=owner, search=query)] == ["Panadería La Espiga"]


def test_filters_and_sorting(catalog, owner, sales):
    assert [c.name for c in customer_list(user=owner, tag="vip")] == ["Panadería La Espiga"]
    assert [c.name for c in customer_list(user=owner, owner=sales.pk)] == ["Panadería La Espiga"]
    assert [c.name for c in customer_list(user=owner, source="walk_in")] == ["Café Olé"]
    assert [c.name for c in customer_list(user=owner, city="puebla")] == ["Café Olé"]
    assert [c.name for c in customer_list(user=owner, ordering="-name")] == [
        "Panadería La Espiga",
        "Café Olé",
    ]
    assert customer_cities(user=owner) == ["Ciudad de México", "Puebla"]


def test_salesperson_limited_to_own_customers_sees_only_them(settings, catalog, sales):
    assert len(customer_list(user=sales)) == 2
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    assert [c.name for c in customer_list(user=sales)] == ["Panadería La Espiga"]


def test_list_page_query_count_does_not_grow_with_customers(owner, django_assert_max_num_queries):
    for n in range(30):
        CustomerFactory(actor=owner, name=f"Cliente {n}", emails=[f"c{n}@x.mx"], tags=["VIP"])

    with django_assert_max_num_queries(6):
        rows = list(customer_list(user=owner)[:25])
        for row in rows:
            for relation in ("emails", "phones", "customer_tags"):
                customer_children(row, relation)
            str(row.owner)


def test_history_shows_who_changed_which_field_from_what_to_what(catalog, owner, sales):
    espiga, _ = catalog
    customer_update(
        actor=sales,
        customer=espiga,
        version=espiga.version,
        name="La Espiga",
        reason="Nuevo letrero",
    )

    latest = customer_history(customer=espiga)[0]

    assert latest.who == str(sales)
    assert latest.action == "changed"
    assert [(c.field, c.old, c.new) for c in latest.changes] == [
        ("name", "Panadería La Espiga", "La Espiga")
    ]
    assert latest.reason == "Nuevo letrero"
    subjects = {e.subject for e in customer_history(customer=espiga)}
    assert {"Customer", "E-mail: ventas@espiga.mx", "Contact: María Núñez", "Tag: VIP"} <= subjects


def test_city_choices_are_distinct_sorted_and_scoped(settings, catalog, owner, sales):
    CustomerFactory(
        actor=owner,
        name="Tortillería Tere",
        owner=sales,
        addresses=[
            {"street": "Reforma 1", "city": "Ciudad de México"},
            {"street": "Hidalgo 2", "city": "Atlixco"},
        ],
    )

    assert customer_cities(user=owner) == ["Atlixco", "Ciudad de México", "Puebla"]
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    assert customer_cities(user=sales) == ["Atlixco", "Ciudad de México"]
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = False
    customer_list(user=owner, city="atlixco").get(name="Tortillería Tere")

"""Hostile input, class by class: each is refused naming the field (a 422 or 400 of the
API's error shape, never an HTML page; a form error or a 400 in the pages), never a
server error, and changes nothing."""

import json

import pytest
from django.urls import reverse

from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Product
from clientela.orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

HUGE = 2**70


def _entries(response) -> dict[tuple, str]:
    assert response.status_code == 422, response.content
    return {tuple(entry["loc"]): entry["msg"] for entry in response.json()["detail"]}


def _post_json(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


# --- NUL and lone surrogates -------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\ud800", "\udfff"], ids=["NUL", "high", "low"])
def test_a_body_text_with_a_nul_or_a_lone_surrogate_is_a_422_naming_it(
    client, owner, api_headers, character
):
    body = {"name": f"Café{character}Olé", "emails": ["hola@cafeole.mx"], "tags": ["x" + character]}

    response = _post_json(client, "/api/v1/customers", body, api_headers(owner))

    entries = _entries(response)
    assert "U+" in entries[("body", "name")]
    assert ("body", "tags", 0) in entries
    assert not Customer.objects.exists()


def test_a_nul_in_the_query_is_a_422_naming_the_parameter(client, owner, api_headers):
    response = client.get("/api/v1/customers", {"search": "caf\x00"}, headers=api_headers(owner))

    assert "U+0000" in _entries(response)[("query", "search")]


def test_a_nul_in_a_form_field_is_a_422_naming_it(client, owner, api_headers, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", b"Nombre,Correo\nCafe,hola@cafe.mx\n")
    response = client.post(
        "/api/v1/imports/customers/dry-run",
        {"file": upload, "sheet": "Hoja\x00"},
        headers=api_headers(owner),
    )

    assert "U+0000" in _entries(response)[("form", "sheet")]


def test_a_nul_in_a_header_is_a_400_of_the_api_naming_the_header(client, owner, api_headers):
    headers = {**api_headers(owner), "X-Request-Note": "a\x00b"}

    response = client.get("/api/v1/customers", headers=headers)

    assert response.status_code == 400
    assert "X-Request-Note" in response.json()["detail"]


def test_a_nul_in_a_page_address_is_a_400_naming_the_parameter(client, owner):
    client.force_login(owner)

    response = client.get(reverse("customers:list"), {"q": "caf\x00"})

    assert response.status_code == 400
    assert "“q”" in response.content.decode()


def test_a_nul_in_a_page_form_is_a_form_error_and_nothing_is_kept(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"), {"kind": "business", "name": "Caf\x00é", "country": "MX"}
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not Customer.objects.exists()


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("NaN", "not NaN or Infinity"),
        ("Infinity", "not NaN or Infinity"),
        ("-Infinity", "not NaN or Infinity"),
        (1e300, "Enter an amount under"),
        ("1e400", "Enter an amount under"),
        ("123456789012345678901234567890", "Enter an amount under"),
    ],
)
def test_a_price_that_is_no_finite_amount_is_a_422_naming_it(
    client, owner, api_headers, price, message
):
    body = {"sku": "PAN-1", "name": "Concha", "unit_price": price}

    response = _post_json(client, "/api/v1/products", body, api_headers(owner))

    assert message in _entries(response)[("body", "unit_price")]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (f"/api/v1/customers/{HUGE}", ("path", "customer_id")),
        (f"/api/v1/orders?customer_id={HUGE}", ("query", "customer_id")),
        (f"/api/v1/orders?customer_id=-{HUGE}", ("query", "customer_id")),
        (f"/api/v1/customers?page={HUGE}", ("query", "page")),
        (f"/api/v1/customers?page_size={HUGE}", ("query", "page_size")),
        (f"/api/v1/analytics/runs?page={2**64}", ("query", "page")),
    ],
)
def test_a_whole_number_beyond_64_bits_is_a_422_naming_it(client, owner, api_headers, url, where):
    response = client.get(url, headers=api_headers(owner))

    assert where in _entries(response)


def test_a_whole_number_beyond_64_bits_in_a_body_is_a_422_naming_it(client, owner, api_headers):
    customer = CustomerFactory(name="Café Olé")

    response = _post_json(
        client,
        f"/api/v1/customers/{customer.pk}/contacts",
        {"name": "Ana", "email": "ana@cafeole.mx"},
        {**api_headers(owner)},
    )
    assert response.status_code == 201
    response = client.patch(
        f"/api/v1/customers/{customer.pk}",
        json.dumps({"version": HUGE, "name": "Otro"}),
        content_type="application/json",
        headers=api_headers(owner),
    )

    assert ("body", "version") in _entries(response)
    customer.refresh_from_db()
    assert customer.name == "Café Olé"


def test_a_page_number_beyond_64_bits_in_a_page_shows_the_last_page(client, owner):
    CustomerFactory(name="Café Olé")
    client.force_login(owner)

    response = client.get(reverse("customers:list"), {"page": str(HUGE)})

    assert response.status_code == 200
    assert "Café Olé" in response.content.decode()


# --- years -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/events?year=10000", ("query", "year")),
        ("/api/v1/events?year=1", ("query", "year")),
        ("/api/v1/orders?due_from=0001-01-01", ("query", "due_from")),
        ("/api/v1/orders?due_to=9999-12-31", ("query", "due_to")),
        ("/api/v1/analytics/scores?as_of=0001-01-01", ("query", "as_of")),
        (
            "/api/v1/orders/lead-times?date_from=0001-01-01&date_to=9999-12-31",
            ("query", "date_from"),
        ),
    ],
)
def test_a_year_out_of_range_in_a_filter_is_a_422_naming_it(client, owner, api_headers, url, where):
    response = client.get(url, headers=api_headers(owner))

    assert "1900 to 2199" in _entries(response)[where] or where[1] == "year"


def test_a_year_out_of_range_in_a_body_is_a_422_naming_it(client, owner, api_headers):
    body = {"name": "Feria", "kind": "fair", "start_date": "9999-12-31", "duration_days": 3}

    response = _post_json(client, "/api/v1/events", body, api_headers(owner))

    assert "1900 to 2199" in _entries(response)[("body", "start_date")]


@pytest.mark.parametrize(
    "query",
    [{"due_from": "0001-01-01"}, {"due_to": "9999-12-31"}, {"customer": str(HUGE)}],
    ids=["year 1", "year 9999", "customer beyond 64 bits"],
)
def test_a_page_filter_out_of_range_is_ignored_as_any_invalid_filter(client, owner, query):
    order = OrderFactory(customer=CustomerFactory(name="Café Olé"))
    client.force_login(owner)

    response = client.get(reverse("orders:list"), query)

    assert response.status_code == 200
    assert "Café Olé" in response.content.decode() and order.pk


# --- the API answers JSON -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/customers/null,null", "/api/v1/no-such-thing", "/api/v1/orders/1/nothing"]
)
def test_an_address_the_api_does_not_have_is_a_json_404(client, owner, api_headers, url):
    response = client.get(url, headers=api_headers(owner))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}

"""The customer catalog over the REST API, as a script or an integration sees it."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.customers.models import Address, Contact, Customer, DuplicateCandidate
from clientela.customers.services import address_create, contact_create
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/customers"
ROLES = ["anonymous", "readonly", "support", "sales", "owner"]


@pytest.fixture
def as_user(client, api_headers, request):
    """``as_user("sales").get(url)``: requests authenticated with that role's token."""

    class Caller:
        def __init__(self, role):
            user = None if role in (None, "anonymous") else role
            if isinstance(user, str):
                user = request.getfixturevalue(user)
            self.headers = api_headers(user) if user is not None else {}

        def _call(self, method, url, body=None, headers=None):
            kwargs = {"headers": {**self.headers, **(headers or {})}}
            if method in ("post", "patch"):
                kwargs.update(data="" if body is None else body, content_type="application/json")
            return getattr(client, method)(url, **kwargs)

        def get(self, url, **kwargs):
            return self._call("get", url, **kwargs)

        def post(self, url, body=None, **kwargs):
            return self._call("post", url, body, **kwargs)

        def patch(self, url, body=None, **kwargs):
            return self._call("patch", url, body, **kwargs)

        def delete(self, url, **kwargs):
            return self._call("delete", url, **kwargs)

    return Caller


@pytest.fixture
def shop(owner):
    """A bakery with a contact and an address, and a second record of it (same e-mail)."""
    espiga = CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        emails=["ventas@espiga.mx"],
        phones=["55 1234 5678"],
        tags=["VIP"],
        contacts=[{"name": "María López", "role": "Compras"}],
        addresses=[{"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México"}],
    )
    copy = CustomerFactory(
        actor=owner,
        name="La Espiga Insurgentes",
        emails=["ventas@espiga.mx"],
        contacts=[{"name": "Jorge Pérez", "role": "Gerente"}],
        addresses=[{"street": "Calle Durango 45", "city": "Ciudad de México"}],
    )
    return {
        "customer": espiga,
        "duplicate": copy,
        "contact": espiga.contacts.get(),
        "address": espiga.addresses.get(),
        "candidate": DuplicateCandidate.objects.get(),
    }


def _errors_by_field(response) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for error in response.json()["detail"]:
        found.setdefault(".".join(str(part) for part in error["loc"][1:]), []).append(error)
    return found


# --- who may do what --------------------------------------------------------------------

READ = {"anonymous": 401, "readonly": 200, "support": 200, "sales": 200, "owner": 200}


def _write(ok):
    return {"anonymous": 401, "readonly": 403, "support": 403, "sales": ok, "owner": ok}


def _owner_only(ok):
    return {"anonymous": 401, "readonly": 403, "support": 403, "sales": 403, "owner": ok}


ENDPOINTS = {
    "list customers": ("get", lambda s: API, None, READ),
    "see a customer": ("get", lambda s: f"{API}/{s['customer'].pk}", None, READ),
    "see the history": ("get", lambda s: f"{API}/{s['customer'].pk}/history", None, READ),
    "list contacts": ("get", lambda s: f"{API}/{s['customer'].pk}/contacts", None, READ),
    "see a contact": ("get", lambda s: f"{API}/contacts/{s['contact'].pk}", None, READ),
    "list addresses": ("get", lambda s: f"{API}/{s['customer'].pk}/addresses", None, READ),
    "see an address": ("get", lambda s: f"{API}/addresses/{s['address'].pk}", None, READ),
    "list duplicates": ("get", lambda s: f"{API}/duplicates", None, READ),
    "create a customer": (
        "post",
        lambda s: API,
        lambda s: {"name": "Tortillería Lupita"},
        _write(201),
    ),
    "change a customer": (
        "patch",
        lambda s: f"{API}/{s['customer'].pk}",
        lambda s: {"version": 1, "notes": "Paga los viernes"},
        _write(200),
    ),
    "add a contact": (
        "post",
        lambda s: f"{API}/{s['customer'].pk}/contacts",
        lambda s: {"name": "Luis Ramírez"},
        _write(201),
    ),
    "change a contact": (
        "patch",
        lambda s: f"{API}/contacts/{s['contact'].pk}",
        lambda s: {"version": 1, "role": "Dueña"},
        _write(200),
    ),
    "remove a contact": (
        "delete",
        lambda s: f"{API}/contacts/{s['contact'].pk}",
        None,
        _write(204),
    ),
    "add an address": (
        "post",
        lambda s: f"{API}/{s['customer'].pk}/addresses",
        lambda s: {"street": "Calle 5 de Mayo 10", "city": "Puebla"},
        _write(201),
    ),
    "change an address": (
        "patch",
        lambda s: f"{API}/addresses/{s['address'].pk}",
        lambda s: {"version": 1, "label": "Bodega"},
        _write(200),
    ),
    "remove an address": (
        "delete",
        lambda s: f"{API}/addresses/{s['address'].pk}",
        None,
        _write(204),
    ),
    "export personal data": (
        "get",
        lambda s: f"{API}/{s['customer'].pk}/personal-data",
        None,
        _owner_only(200),
    ),
    "anonymise": ("post", lambda s: f"{API}/{s['customer'].pk}/anonymize", None, _owner_only(200)),
    "merge": (
        "post",
        lambda s: f"{API}/merge",
        lambda s: {"survivor_id": s["customer"].pk, "duplicate_id": s["duplicate"].pk},
        _owner_only(200),
    ),
    "dismiss a duplicate": (
        "post",
        lambda s: f"{API}/duplicates/{s['candidate'].pk}/dismiss",
        None,
        _owner_only(204),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_role_may_do_what_its_role_allows(as_user, shop, endpoint, role):
    method, url, body, expected = ENDPOINTS[endpoint]

    response = getattr(as_user(role), method)(url(shop), body=body(shop) if body else None)

    assert response.status_code == expected[role], response.content


def test_a_refused_change_writes_nothing(as_user, shop):
    customer = shop["customer"]

    response = as_user("support").patch(
        f"{API}/{customer.pk}", {"version": 1, "name": "Otro nombre"}
    )

    assert response.status_code == 403
    assert "create and edit customers" in response.json()["detail"]
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Panadería La Espiga", 1)


def test_a_salesperson_limited_to_own_customers_gets_404_for_the_others(
    as_user, shop, sales, settings
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    own = CustomerFactory(actor=sales, name="Cliente de Ventas")
    seller = as_user("sales")

    listed = seller.get(API).json()
    others = [
        seller.get(f"{API}/{shop['customer'].pk}"),
        seller.get(f"{API}/contacts/{shop['contact'].pk}"),
        seller.get(f"{API}/addresses/{shop['address'].pk}"),
        seller.patch(f"{API}/{shop['customer'].pk}", {"version": 1, "notes": "x"}),
    ]

    assert [item["id"] for item in listed["items"]] == [own.pk]
    assert [r.status_code for r in others] == [404, 404, 404, 404]
    assert seller.get(f"{API}/{own.pk}").status_code == 200


# --- listing ---------------------------------------------------------------------------


def test_the_list_pages_through_customers_with_a_count(as_user, owner):
    for name in ["Abarrotes Ana", "Birria Beto", "Cafetería Cielo"]:
        CustomerFactory(actor=owner, name=name)
    reader = as_user("readonly")

    first = reader.get(f"{API}?page_size=2").json()
    second = reader.get(f"{API}?page_size=2&page=2").json()
    beyond = reader.get(f"{API}?page_size=2&page=3").json()

    assert first["count"] == second["count"] == 3
    assert first["count_is_exact"] is True
    assert [c["name"] for c in first["items"]] == ["Abarrotes Ana", "Birria Beto"]
    assert [c["name"] for c in second["items"]] == ["Cafetería Cielo"]
    assert beyond["items"] == []
    assert reader.get(f"{API}?page=0").status_code == 422


def test_the_count_stops_at_the_limit_and_every_page_stays_readable(as_user, owner, settings):
    settings.CLIENTELA_COUNT_LIMIT = 3
    for name in ["Abarrotes Ana", "Birria Beto", "Cafetería Cielo", "Dulcería Dora", "Elotes Eva"]:
        CustomerFactory(actor=owner, name=name)
    reader = as_user("readonly")

    first = reader.get(f"{API}?page_size=2").json()
    last = reader.get(f"{API}?page_size=2&page=3").json()

    assert (first["count"], first["count_is_exact"]) == (3, False)
    assert [c["name"] for c in last["items"]] == ["Elotes Eva"]
    narrowed = reader.get(f"{API}?search=dora").json()
    assert (narrowed["count"], narrowed["count_is_exact"]) == (1, True)


def test_the_next_cursor_reads_every_page_to_the_last(as_user, owner, settings):
    settings.CLIENTELA_COUNT_LIMIT = 3
    names = ["Abarrotes Ana", "Birria Beto", "Cafetería Cielo", "Dulcería Dora", "Elotes Eva"]
    for name in names:
        CustomerFactory(actor=owner, name=name)
    reader = as_user("readonly")

    pages = [reader.get(f"{API}?page_size=2").json()]
    while pages[-1]["next"]:
        pages.append(reader.get(f"{API}?page_size=2&after={pages[-1]['next']}").json())

    assert [c["name"] for page in pages for c in page["items"]] == names
    assert len(pages) == 3 and all(page["count"] == 3 for page in pages)
    refused = reader.get(f"{API}?after=nonsense")
    assert refused.status_code == 422 and "cursor" in str(refused.json())
    assert refused.json()["detail"][0]["loc"] == ["query", "after"]


def test_a_list_item_carries_every_catalog_field(as_user, shop):
    item = as_user("readonly").get(f"{API}?search=panaderia").json()["items"]

    assert len(item) == 1
    assert item[0] == {
        "id": shop["customer"].pk,
        "name": "Panadería La Espiga",
        "kind": "business",
        "legal_name": "",
        "tax_id": "",
        "tax_id_type": "",
        "external_id": "",
        "customer_since": None,
        "country": "MX",
        "emails": ["ventas@espiga.mx"],
        "phones": ["+525512345678"],
        "tags": ["VIP"],
        "owner_id": None,
        "source": "",
        "referred_by_id": None,
        "consent_email": False,
        "consent_phone": False,
        "consent_sms": False,
        "consent_mail": False,
        "preferred_channel": "",
        "language": "es",  # the language of the business's country, Mexico
        "notes": "",
        "version": 1,
        "created_at": item[0]["created_at"],
        "updated_at": item[0]["updated_at"],
        "merged_into_id": None,
        "anonymized_at": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=espiga", ["Panadería La Espiga", "Pastelería Espiga Dorada"]),
        ("search=55+1234+5678", ["Panadería La Espiga"]),
        ("tag=vip", ["Panadería La Espiga"]),
        ("owner={sales}", ["Pastelería Espiga Dorada"]),
        ("source=event", ["Tamales Doña Rosa"]),
        ("city=puebla", ["Pastelería Espiga Dorada"]),
        (
            "ordering=-name",
            ["Tamales Doña Rosa", "Pastelería Espiga Dorada", "Panadería La Espiga"],
        ),
        (
            "ordering=created",
            ["Panadería La Espiga", "Tamales Doña Rosa", "Pastelería Espiga Dorada"],
        ),
        (
            "ordering=-created",
            ["Pastelería Espiga Dorada", "Tamales Doña Rosa", "Panadería La Espiga"],
        ),
    ],
)
def test_each_filter_narrows_the_list(as_user, owner, sales, query, expected):
    CustomerFactory(actor=owner, name="Panadería La Espiga", phones=["55 1234 5678"], tags=["VIP"])
    CustomerFactory(actor=owner, name="Tamales Doña Rosa", source="event")
    CustomerFactory(
        actor=owner,
        name="Pastelería Espiga Dorada",
        owner=sales,
        addresses=[{"street": "Av. Reforma 1", "city": "Puebla"}],
    )

    response = as_user("readonly").get(f"{API}?{query.format(sales=sales.pk)}")

    assert [c["name"] for c in response.json()["items"]] == expected


def test_an_unknown_ordering_is_refused(as_user):
    response = as_user("readonly").get(f"{API}?ordering=tax_id")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "ordering"]


def test_a_page_of_25_customers_takes_a_constant_number_of_queries(
    as_user, owner, django_assert_max_num_queries
):
    def make(count):
        for n in range(count):
            CustomerFactory(
                actor=owner,
                emails=[f"compras{n}@cliente.mx", f"pagos{n}@cliente.mx"],
                phones=[f"55 1000 {n:04d}"],
                tags=["Mayoreo", f"Ruta {n % 3}"],
                addresses=[{"street": f"Calle {n}", "city": "Toluca"}],
            )

    reader = as_user("readonly")
    reader.get(API)  # the token's first use is recorded once

    make(5)
    with CaptureQueriesContext(connection) as five:
        assert len(reader.get(f"{API}?page_size=25").json()["items"]) == 5
    make(20)
    with django_assert_max_num_queries(len(five)):
        assert len(reader.get(f"{API}?page_size=25").json()["items"]) == 25
    assert len(five) <= 7  # token, count, page, e-mails, phones, addresses, tags


# --- creating ----------------------------------------------------------------------------


def test_create_returns_the_customer_normalised_with_its_location(as_user):
    response = as_user("sales").post(
        API,
        {
            "name": "Panadería La Espiga, S.A. de C.V.",
            "tax_id": "ple-990101-ab7",
            "external_id": "C-0042",
            "country": "mx",
            "emails": ["Ventas@Espiga.MX"],
            "phones": ["55 1234 5678"],
            "tags": ["Cafetería"],
            "consent_email": True,
            "contacts": [{"name": "María López", "phone": "(55) 8765-4321"}],
            "addresses": [{"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México"}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"{API}/{body['id']}"
    assert response["ETag"] == '"1"'
    assert (body["tax_id"], body["tax_id_type"], body["country"]) == (
        "PLE990101AB7",
        "mx.rfc",
        "MX",
    )
    assert body["emails"] == ["ventas@espiga.mx"]
    assert body["phones"] == ["+525512345678"]
    assert body["external_id"] == "C-0042"
    assert body["consent_email"] is True
    assert body["contacts"][0]["phone"] == "+525587654321"
    assert body["addresses"][0]["is_default"] is True


def test_a_new_customer_without_a_name_takes_its_legal_name(as_user):
    client = as_user("sales")

    response = client.post(API, {"legal_name": "Distribuidora del Bajío, S.A. de C.V."})
    assert response.status_code == 201
    assert response.json()["name"] == "Distribuidora del Bajío, S.A. de C.V."

    # neither a name nor a legal name: refused, naming the field
    response = client.post(API, {"tax_id": ""})
    assert response.status_code == 422
    assert "A new customer needs a name or a legal name." in str(response.json())


def test_owner_and_referrer_are_given_by_id(as_user, shop, sales):
    response = as_user("owner").post(
        API,
        {
            "name": "Cocina Económica Juanita",
            "owner_id": sales.pk,
            "referred_by_id": shop["customer"].pk,
        },
    )

    assert response.status_code == 201
    assert response.json()["owner_id"] == sales.pk
    assert response.json()["referred_by_id"] == shop["customer"].pk


def test_user_ids_cannot_be_told_apart_by_who_may_not_list_users(
    as_user, sales, owner, readonly, settings, user_with_role
):
    # given a salesperson limited to their own customers, another salesperson, a user
    # no longer active, and an id nobody has
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    other, gone = user_with_role("sales"), user_with_role("sales")
    gone.is_active = False
    gone.save()
    own = CustomerFactory(actor=sales, name="Cliente de Ventas")
    unknown = max(other.pk, gone.pk) + 100
    seller = as_user("sales")

    def answers(caller, method, url, body_for):
        found = []
        for user_id in (other.pk, gone.pk, unknown):
            response = getattr(caller, method)(url, body_for(user_id))
            found.append((response.status_code, response.json()))
        return found

    # when they give each id as a customer's owner, or filter the list by it
    created = answers(seller, "post", API, lambda pk: {"name": "Nuevo", "owner_id": pk})
    changed = answers(seller, "patch", f"{API}/{own.pk}", lambda pk: {"version": 1, "owner_id": pk})
    listed = [seller.get(f"{API}?owner={pk}").json() for pk in (other.pk, gone.pk, unknown)]
    # and a read-only user tries the same
    refused = answers(as_user("readonly"), "post", API, lambda pk: {"owner_id": pk})

    # then each id answers alike: refused, for being someone else, and nothing listed
    for attempts in (created, changed):
        assert [status for status, _body in attempts] == [422, 422, 422]
        assert len({json.dumps(body) for _status, body in attempts}) == 1
        assert "only yourself" in attempts[0][1]["detail"][0]["msg"]
    assert [(page["items"], page["count"]) for page in listed] == [([], 0)] * 3
    assert [status for status, _body in refused] == [403, 403, 403]
    # while the owner, who may list users, assigns to the active ones only
    boss = as_user("owner")
    assert boss.post(API, {"name": "Uno", "owner_id": other.pk}).status_code == 201
    for user_id in (gone.pk, unknown):
        response = boss.post(API, {"name": "Dos", "owner_id": user_id})
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == f"There is no active user #{user_id}."


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({"name": "Café Olé", "tax_id": "GODE561231GR9"}, "tax_id", "invalid_tax_id"),
        ({"name": "Café Olé", "phones": ["12"]}, "phones", "invalid_phone"),
        ({"name": "Café Olé", "emails": ["ventas@"]}, "emails", "invalid_email"),
        ({"name": "Café Olé", "country": "XX"}, "country", "invalid_country"),
        ({"name": "x" * 201}, "name", "max_length"),
        ({"name": ""}, "name", "blank"),
        ({"name": "Café Olé", "kind": "robot"}, "kind", "invalid_choice"),
        ({"name": "Café Olé", "owner_id": 999999}, "owner_id", "invalid"),
        ({"name": "Café Olé", "referred_by_id": 999999}, "referred_by_id", "invalid"),
        ({"name": "Café Olé", "consent_email": "maybe"}, "consent_email", "bool_parsing"),
        ({"name": "Café Olé", "emails": "ventas@cafe.mx"}, "emails", "list_type"),
        ({"name": 42}, "name", "string_type"),
        ({"name": "Café Olé", "emial": "typo@cafe.mx"}, "emial", "extra_forbidden"),
        ({"name": "Café Olé", "customer_since": "1850-01-01"}, "customer_since", "date_range"),
        ({"name": "Café Olé", "tags": [f"t{n}" for n in range(10_000)]}, "tags", "too_many"),
        ({"name": "Café Olé", "emails": [f"{n}@cafe.mx" for n in range(21)]}, "emails", "too_many"),
        ({"name": "Café Olé", "phones": ["222 555 0101"] * 21}, "phones", "too_many"),
        ({"name": "Café Olé", "contacts": [{"name": "Ana"}] * 51}, "contacts", "too_many"),
        (
            {"name": "Café Olé", "addresses": [{"street": "5 Sur", "city": "Puebla"}] * 51},
            "addresses",
            "too_many",
        ),
        ({"name": "Café Olé", "notes": "x" * 10_001}, "notes", "max_length"),
        ({"name": "\u200b\u200b \u00a0"}, "name", "blank"),
        ({"notes": "Sin nombre ni razón social"}, "name", "blank"),
        (
            {
                "name": "Café Olé",
                "addresses": [{"street": "Calle 1", "city": "Puebla", "country": "ZZ"}],
            },
            "addresses",
            "invalid",
        ),
    ],
)
def test_a_bad_value_gets_422_naming_the_field_and_nothing_is_written(
    as_user, body, field, error_type
):
    response = as_user("owner").post(API, body)

    assert response.status_code == 422
    errors = _errors_by_field(response)
    assert field in errors, errors
    assert errors[field][0]["type"] == error_type
    assert errors[field][0]["msg"]
    assert not Customer.objects.exists()
    assert not Address.objects.exists()


def test_error_messages_come_in_the_callers_language(as_user):
    response = as_user("owner").post(API, {"name": "x" * 201}, headers={"Accept-Language": "es"})

    assert response.status_code == 422
    assert "Asegúrese" in _errors_by_field(response)["name"][0]["msg"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Este campo no está permitido.", "Escriba una lista."]),
        ("ru", ["Это поле не допускается.", "Введите список."]),
    ],
)
def test_malformed_fields_are_explained_in_the_callers_language(
    owner, api_headers, client, language, expected
):
    response = client.post(
        API,
        {"name": "Café Olé", "emial": "typo@cafe.mx", "emails": "no es una lista"},
        content_type="application/json",
        headers={**api_headers(owner), "Accept-Language": language},
    )
    page = client.get(f"{API}?page=primera", headers=api_headers(owner))

    assert response.status_code == 422
    errors = _errors_by_field(response)
    assert [errors["emial"][0]["msg"], errors["emails"][0]["msg"]] == expected
    assert page.status_code == 422
    assert page.json()["detail"][0]["msg"] == "Enter a whole number."
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "raw", ["{'name': 'comillas simples'}", "name=Café", '{"name": "sin cerrar"', "\xff\xfe"]
)
def test_a_body_that_is_not_json_gets_a_clear_400(owner, api_headers, client, raw):
    response = client.post(
        API, data=raw.encode("latin-1"), content_type="application/json", headers=api_headers(owner)
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert not Customer.objects.exists()


def test_a_json_body_that_is_not_an_object_gets_422(as_user):
    response = as_user("owner").post(API, ["Café Olé"])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert not Customer.objects.exists()


# --- changing ----------------------------------------------------------------------------


def test_a_customer_read_carries_its_version_as_etag(as_user, shop):
    response = as_user("readonly").get(f"{API}/{shop['customer'].pk}")

    assert response["ETag"] == '"1"'
    body = response.json()
    assert [c["name"] for c in body["contacts"]] == ["María López"]
    assert [a["street"] for a in body["addresses"]] == ["Av. Insurgentes Sur 123"]


def test_patch_with_the_version_read_changes_only_the_fields_sent(as_user, shop):
    customer = shop["customer"]

    response = as_user("sales").patch(
        f"{API}/{customer.pk}", {"version": 1, "notes": "Paga los viernes", "tags": ["Mayoreo"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == '"2"'
    assert body["version"] == 2
    assert body["notes"] == "Paga los viernes"
    assert body["tags"] == ["Mayoreo"]
    assert body["emails"] == ["ventas@espiga.mx"]
    assert body["name"] == "Panadería La Espiga"


def test_patch_replaces_emails_and_phones_when_sent(as_user, shop):
    customer = shop["customer"]

    body = (
        as_user("sales")
        .patch(
            f"{API}/{customer.pk}",
            {"version": 1, "emails": ["pedidos@espiga.mx", "ventas@espiga.mx"], "phones": []},
        )
        .json()
    )

    assert body["emails"] == ["pedidos@espiga.mx", "ventas@espiga.mx"]
    assert body["phones"] == []


def test_patch_with_if_match_works_like_the_version_in_the_body(as_user, shop):
    customer = shop["customer"]
    reader = as_user("sales")
    etag = reader.get(f"{API}/{customer.pk}")["ETag"]

    response = reader.patch(
        f"{API}/{customer.pk}", {"notes": "Con If-Match"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200
    assert response.json()["notes"] == "Con If-Match"


def test_a_stale_patch_gets_409_naming_the_current_version_and_changes_nothing(as_user, shop):
    customer = shop["customer"]
    first, second = as_user("sales"), as_user("owner")
    assert (
        first.patch(f"{API}/{customer.pk}", {"version": 1, "notes": "Primero"}).status_code == 200
    )

    response = second.patch(f"{API}/{customer.pk}", {"version": 1, "notes": "Segundo"})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert "2" in response.json()["detail"]
    customer.refresh_from_db()
    assert (customer.notes, customer.version) == ("Primero", 2)


def test_a_patch_without_a_version_gets_428_and_changes_nothing(as_user, shop):
    customer = shop["customer"]

    response = as_user("owner").patch(f"{API}/{customer.pk}", {"notes": "A ciegas"})

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    customer.refresh_from_db()
    assert (customer.notes, customer.version) == ("", 1)


def test_a_bad_patch_names_the_field_and_changes_nothing(as_user, shop):
    customer = shop["customer"]

    response = as_user("owner").patch(
        f"{API}/{customer.pk}", {"version": 1, "name": "Nuevo", "phones": ["no es un teléfono"]}
    )

    assert response.status_code == 422
    assert list(_errors_by_field(response)) == ["phones"]
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Panadería La Espiga", 1)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/999999", None),
        ("patch", "/999999", {"version": 1, "notes": "x"}),
        ("get", "/999999/history", None),
        ("get", "/999999/contacts", None),
        ("get", "/contacts/999999", None),
        ("patch", "/addresses/999999", {"version": 1}),
        ("delete", "/addresses/999999", None),
        ("post", "/duplicates/999999/dismiss", None),
    ],
)
def test_an_unknown_id_gets_404(as_user, method, path, body):
    response = getattr(as_user("owner"), method)(f"{API}{path}", body=body)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_history_shows_who_changed_what(as_user, shop, sales):
    customer = shop["customer"]
    as_user("sales").patch(f"{API}/{customer.pk}", {"version": 1, "notes": "Paga los viernes"})

    entries = as_user("readonly").get(f"{API}/{customer.pk}/history").json()

    newest = entries[0]
    assert newest["action"] == "changed"
    assert newest["who"] == str(sales)
    assert {"field": "notes", "old": "—", "new": "Paga los viernes"} in newest["changes"]


# --- contacts and addresses --------------------------------------------------------------


def test_contacts_can_be_added_read_changed_and_removed(as_user, shop):
    customer = shop["customer"]
    seller = as_user("sales")

    created = seller.post(
        f"{API}/{customer.pk}/contacts",
        {"name": "Luis Ramírez", "email": "Luis@Espiga.MX", "is_primary": True},
    )
    contact_url = f"{API}/contacts/{created.json()['id']}"
    read = seller.get(contact_url)
    changed = seller.patch(contact_url, {"role": "Dueño"}, headers={"If-Match": read["ETag"]})
    stale = seller.patch(contact_url, {"version": 1, "role": "Otro"})
    listed = seller.get(f"{API}/{customer.pk}/contacts").json()
    removed = seller.delete(contact_url)

    assert created.status_code == 201
    assert created.json()["email"] == "luis@espiga.mx"
    assert (changed.status_code, changed.json()["role"], changed["ETag"]) == (200, "Dueño", '"2"')
    assert stale.status_code == 409
    assert [c["name"] for c in listed] == ["Luis Ramírez", "María López"]
    assert removed.status_code == 204
    assert seller.get(contact_url).status_code == 404
    assert list(Contact.objects.filter(customer=customer).values_list("name", flat=True)) == [
        "María López"
    ]


def test_a_bad_contact_names_the_field(as_user, shop):
    response = as_user("sales").post(
        f"{API}/{shop['customer'].pk}/contacts", {"name": "Luis", "phone": "123"}
    )

    assert response.status_code == 422
    assert _errors_by_field(response)["phone"][0]["type"] == "invalid_phone"


def test_addresses_can_be_added_read_changed_and_removed(as_user, shop):
    customer = shop["customer"]
    seller = as_user("sales")

    created = seller.post(
        f"{API}/{customer.pk}/addresses",
        {
            "street": "Calle 5 de Mayo 10",
            "city": "Puebla",
            "postal_code": "72000 ",
            "is_default": True,
        },
    )
    address_url = f"{API}/addresses/{created.json()['id']}"
    changed = seller.patch(address_url, {"version": 1, "label": "Bodega"})
    without_version = seller.patch(address_url, {"label": "Otra"})
    listed = seller.get(f"{API}/{customer.pk}/addresses").json()
    removed = seller.delete(address_url)
    remaining = seller.get(f"{API}/{customer.pk}/addresses").json()

    assert created.status_code == 201
    assert created.json()["postal_code"] == "72000"
    assert changed.json()["label"] == "Bodega"
    assert without_version.status_code == 428
    assert [(a["city"], a["is_default"]) for a in listed] == [
        ("Puebla", True),
        ("Ciudad de México", False),
    ]
    assert removed.status_code == 204
    assert [(a["city"], a["is_default"]) for a in remaining] == [("Ciudad de México", True)]


# --- duplicates, merge and privacy -------------------------------------------------------


def test_duplicates_are_listed_and_can_be_filtered_by_customer(as_user, shop, owner):
    unrelated = CustomerFactory(actor=owner, name="Otro", emails=["a@otro.mx"])
    CustomerFactory(actor=owner, name="Otro bis", emails=["a@otro.mx"])
    reader = as_user("readonly")

    everything = reader.get(f"{API}/duplicates").json()
    for_espiga = reader.get(f"{API}/duplicates?customer={shop['customer'].pk}").json()

    assert everything["count"] == 2
    assert for_espiga["count"] == 1
    pair = for_espiga["items"][0]
    assert {pair["customer"]["id"], pair["other"]["id"]} == {
        shop["customer"].pk,
        shop["duplicate"].pk,
    }
    assert pair["reasons"] == ["email"]
    assert pair["reason_labels"] == ["same e-mail"]
    assert unrelated.pk not in {pair["customer"]["id"], pair["other"]["id"]}


def test_a_dismissed_pair_leaves_the_list(as_user, shop):
    owner = as_user("owner")

    response = owner.post(f"{API}/duplicates/{shop['candidate'].pk}/dismiss")

    assert response.status_code == 204
    assert owner.get(f"{API}/duplicates").json()["count"] == 0


def test_merge_keeps_every_contact_and_address_of_both(as_user, shop, owner):
    survivor, duplicate = shop["customer"], shop["duplicate"]
    contact_create(actor=owner, customer=duplicate, name="Rosa Díaz")
    address_create(
        actor=owner, customer=duplicate, street="Calle Jalapa 7", city="Ciudad de México"
    )
    boss = as_user("owner")

    response = boss.post(
        f"{API}/merge",
        {"survivor_id": survivor.pk, "duplicate_id": duplicate.pk, "reason": "Misma panadería"},
    )

    assert response.status_code == 200
    body = response.json()
    assert sorted(c["name"] for c in body["contacts"]) == [
        "Jorge Pérez",
        "María López",
        "Rosa Díaz",
    ]
    assert sorted(a["street"] for a in body["addresses"]) == [
        "Av. Insurgentes Sur 123",
        "Calle Durango 45",
        "Calle Jalapa 7",
    ]
    assert [a["is_default"] for a in body["addresses"]].count(True) == 1
    assert body["emails"] == ["ventas@espiga.mx"]
    merged = boss.get(f"{API}/{duplicate.pk}").json()
    assert merged["merged_into_id"] == survivor.pk
    assert [c["id"] for c in boss.get(API).json()["items"]] == [survivor.pk]
    assert boss.get(f"{API}/duplicates").json()["count"] == 0


def test_a_customer_cannot_be_merged_with_itself(as_user, shop):
    pk = shop["customer"].pk

    response = as_user("owner").post(f"{API}/merge", {"survivor_id": pk, "duplicate_id": pk})

    assert response.status_code == 422
    assert "duplicate_id" in _errors_by_field(response)


def test_the_owner_can_export_and_then_erase_a_customers_personal_data(as_user, shop):
    customer = shop["customer"]
    boss = as_user("owner")

    exported = boss.get(f"{API}/{customer.pk}/personal-data").json()
    erased = boss.post(f"{API}/{customer.pk}/anonymize", {"reason": "Lo pidió por correo"})
    again = boss.post(f"{API}/{customer.pk}/anonymize")
    change = boss.patch(f"{API}/{customer.pk}", {"version": 2, "name": "Regresó"})

    assert exported["emails"] == ["ventas@espiga.mx"]
    assert exported["contacts"][0]["name"] == "María López"
    assert erased.status_code == 200
    body = erased.json()
    assert body["name"] == f"Anonymised customer #{customer.pk}"
    assert (body["emails"], body["phones"], body["contacts"]) == ([], [], [])
    assert body["anonymized_at"] is not None
    assert [a["street"] for a in body["addresses"]] == ["—"]
    assert again.status_code == 422
    assert change.status_code == 422


# --- the document ------------------------------------------------------------------------


def test_the_openapi_document_lists_the_customer_paths(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/history",
        "/api/v1/customers/{customer_id}/personal-data",
        "/api/v1/customers/{customer_id}/anonymize",
        "/api/v1/customers/{customer_id}/contacts",
        "/api/v1/customers/contacts/{contact_id}",
        "/api/v1/customers/{customer_id}/addresses",
        "/api/v1/customers/addresses/{address_id}",
        "/api/v1/customers/duplicates",
        "/api/v1/customers/duplicates/{candidate_id}/dismiss",
        "/api/v1/customers/merge",
    } <= set(paths)
    assert set(paths["/api/v1/customers/{customer_id}"]) == {"get", "patch"}


def test_names_and_ids_keep_no_invisible_characters(as_user):
    # given a name with a right-to-left override and a tax id with a zero-width space
    body = {
        "name": "Caf\u00e9 \u202eOl\u00e9",
        "tax_id": "GODE561231\u200bGR8",
        "notes": "a\nb\u200d",
    }

    response = as_user("owner").post(API, body)

    # then they are stored as they show, the notes keeping their line break
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get()
    assert (customer.name, customer.tax_id, customer.notes) == ("Café Olé", "GODE561231GR8", "a\nb")


def test_contacts_and_addresses_keep_their_text_as_names_do(as_user):
    body = {
        "name": "Café Olé",
        "contacts": [{"name": " Ana\u200b  Ruiz ", "role": "Compras\u202e", "notes": "a\r\nb "}],
        "addresses": [{"street": " Av.\u200b Reforma  222 ", "city": "Puebla\ufeff"}],
    }

    response = as_user("owner").post(API, body)

    assert response.status_code == 201, response.json()
    customer = Customer.objects.get()
    contact, address = customer.contacts.get(), customer.addresses.get()
    assert (contact.name, contact.role, contact.notes) == ("Ana Ruiz", "Compras", "a\nb")
    assert (address.street, address.city) == ("Av. Reforma 222", "Puebla")

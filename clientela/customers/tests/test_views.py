"""The staff pages of the customer catalog, as a member of staff uses them in a browser."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clientela.customers.forms import CustomerForm
from clientela.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateStatus,
)
from clientela.customers.services import address_create, customer_update, customers_contacted
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "customer-results"}


# --- helpers ------------------------------------------------------------------------


@pytest.fixture
def shop(owner):
    """A bakery with a contact and an address, and a second record of it (same e-mail)."""
    espiga = CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        tax_id="GODE561231GR8",
        emails=["ventas@espiga.mx"],
        phones=["55 1234 5678"],
        tags=["VIP"],
        source="walk_in",
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


@pytest.fixture
def restore_language():
    """A request activates its language for the whole thread; put the default back after."""
    yield
    translation.deactivate()


def _page(response) -> str:
    return response.content.decode()


def _field_error(response, field: str) -> str:
    """The error text shown right beside a form field (``id="id_<field>_error"``), or ""."""
    match = re.search(rf'<div[^>]* id="id_{field}_error"[^>]*>(.*?)</div>', _page(response), re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def _listed(response) -> list[str]:
    """The customer names in the list's rows, in the order shown."""
    names = re.findall(
        r'<a href="/customers/\d+/" class="fw-semibold">(.*?)</a>', _page(response), re.S
    )
    return [html.unescape(name) for name in names]


def _messages(response) -> str:
    """The text of the flash messages at the top of the page."""
    alerts = re.findall(
        r'<div class="alert [^"]*alert-dismissible[^>]*>(.*?)<button', _page(response), re.S
    )
    return " ".join(html.unescape(" ".join(alerts)).split())


def _section(response, section_id: str) -> str:
    """The HTML of one ``<section id=...>`` of a page."""
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', _page(response), re.S)
    return match.group(0) if match else ""


def _new_customer(**changes) -> dict:
    """What the "Add a customer" form posts, with ``changes`` typed in."""
    data = {
        "kind": "business",
        "name": "Café Olé",
        "legal_name": "",
        "country": "MX",
        "tax_id": "",
        "emails": "",
        "phones": "",
        "tags": "",
        "source": "",
        "referred_by": "",
        "preferred_channel": "",
        "language": "en",
        "notes": "",
    }
    data.update(changes)
    return data


def _edit_form(customer: Customer, **changes) -> dict:
    """What the edit form posts when opened now and submitted with ``changes``."""
    customer = Customer.objects.get(pk=customer.pk)
    data = {}
    for name, value in {**CustomerForm.initial_for(customer), **changes}.items():
        if value is None or value is False:
            continue  # an empty select posts "", an unticked box posts nothing
        data[name] = "on" if value is True else value
    data.setdefault("owner", "")
    return data


def _contact_form(**changes) -> dict:
    data = {"name": "Jorge Pérez", "role": "Gerente", "email": "", "phone": "", "notes": ""}
    data.update(changes)
    return data


def _address_form(**changes) -> dict:
    data = {
        "label": "",
        "street": "Calle 5 de Mayo 10",
        "neighborhood": "Centro",
        "city": "Puebla",
        "region": "Puebla",
        "postal_code": "72000",
        "country": "MX",
        "delivery_notes": "",
    }
    data.update(changes)
    return data


def _catalog_state() -> dict:
    """Everything the forbidden requests below could have changed."""
    return {
        "customers": sorted(
            Customer.objects.values_list("pk", "name", "version", "merged_into_id", "anonymized_at")
        ),
        "emails": sorted(CustomerEmail.objects.values_list("customer_id", "email")),
        "phones": sorted(CustomerPhone.objects.values_list("customer_id", "number")),
        "contacts": sorted(Contact.objects.values_list("pk", "customer_id", "name", "version")),
        "addresses": sorted(
            Address.objects.values_list("pk", "customer_id", "street", "is_default", "version")
        ),
        "duplicates": sorted(DuplicateCandidate.objects.values_list("pk", "status")),
    }


def _forbidden_attempts(shop) -> dict[str, tuple[str, str, dict]]:
    """label → (method, url, data) of every request that changes the catalog or exports it."""
    customer, contact, address = shop["customer"], shop["contact"], shop["address"]
    candidate = shop["candidate"]
    pk = customer.pk
    edit = _edit_form(customer, name="Intruso")
    return {
        "create GET": ("get", reverse("customers:create"), {}),
        "create POST": ("post", reverse("customers:create"), _new_customer(name="Intruso")),
        "edit GET": ("get", reverse("customers:edit", args=[pk]), {}),
        "edit POST": ("post", reverse("customers:edit", args=[pk]), edit),
        "contact create GET": ("get", reverse("customers:contact_create", args=[pk]), {}),
        "contact create POST": (
            "post",
            reverse("customers:contact_create", args=[pk]),
            _contact_form(name="Intruso"),
        ),
        "contact edit GET": (
            "get",
            reverse("customers:contact_edit", args=[pk, contact.pk]),
            {},
        ),
        "contact edit POST": (
            "post",
            reverse("customers:contact_edit", args=[pk, contact.pk]),
            _contact_form(name="Intruso", version=contact.version),
        ),
        "contact delete GET": (
            "get",
            reverse("customers:contact_delete", args=[pk, contact.pk]),
            {},
        ),
        "contact delete POST": (
            "post",
            reverse("customers:contact_delete", args=[pk, contact.pk]),
            {},
        ),
        "address create GET": ("get", reverse("customers:address_create", args=[pk]), {}),
        "address create POST": (
            "post",
            reverse("customers:address_create", args=[pk]),
            _address_form(street="Intruso 1"),
        ),
        "address edit GET": (
            "get",
            reverse("customers:address_edit", args=[pk, address.pk]),
            {},
        ),
        "address edit POST": (
            "post",
            reverse("customers:address_edit", args=[pk, address.pk]),
            _address_form(street="Intruso 1", version=address.version),
        ),
        "address delete GET": (
            "get",
            reverse("customers:address_delete", args=[pk, address.pk]),
            {},
        ),
        "address delete POST": (
            "post",
            reverse("customers:address_delete", args=[pk, address.pk]),
            {},
        ),
        "address default POST": (
            "post",
            reverse("customers:address_default", args=[pk, address.pk]),
            {"version": address.version},
        ),
        "merge POST": (
            "post",
            reverse("customers:duplicate_merge", args=[candidate.pk]),
            {"survivor": candidate.customer_id},
        ),
        "dismiss POST": (
            "post",
            reverse("customers:duplicate_dismiss", args=[candidate.pk]),
            {},
        ),
        "anonymise GET": ("get", reverse("customers:anonymise", args=[pk]), {}),
        "anonymise POST": (
            "post",
            reverse("customers:anonymise", args=[pk]),
            {"reason": "Intruso", "version": customer.version},
        ),
        "personal data GET": ("get", reverse("customers:personal_data", args=[pk]), {}),
    }


OWNER_ONLY = {"merge POST", "dismiss POST", "anonymise GET", "anonymise POST", "personal data GET"}


def _statuses(client, attempts: dict) -> dict[str, int]:
    return {
        label: getattr(client, method)(url, data).status_code
        for label, (method, url, data) in attempts.items()
    }


# --- roles in the interface ---------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, shop):
    # given someone who has not signed in
    pk = shop["customer"].pk
    pages = [
        reverse("customers:list"),
        reverse("customers:detail", args=[pk]),
        reverse("customers:duplicates"),
        reverse("customers:duplicate", args=[shop["candidate"].pk]),
        reverse("customers:lookup") + "?q=espiga",
        *(url for method, url, _data in _forbidden_attempts(shop).values() if method == "get"),
    ]
    before = _catalog_state()

    # when they open each page, or post to the pages that only take a POST
    answers = {url: client.get(url) for url in pages}
    posted = {
        url: client.post(url, data)
        for method, url, data in _forbidden_attempts(shop).values()
        if method == "post"
    }

    # then every one sends them to the login page, which brings them back afterwards
    for url, response in {**answers, **posted}.items():
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    # and nothing was written
    assert _catalog_state() == before


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_see_customers(client, shop, role, request):
    # given a read-only or support user
    client.force_login(request.getfixturevalue(role))
    pk = shop["customer"].pk

    # when they open the list, a customer and the possible duplicates
    listing = client.get(reverse("customers:list"))
    detail = client.get(reverse("customers:detail", args=[pk]))
    duplicates = client.get(reverse("customers:duplicates"))
    compare = client.get(reverse("customers:duplicate", args=[shop["candidate"].pk]))

    # then they see them
    assert listing.status_code == 200
    assert "Panadería La Espiga" in _listed(listing)
    assert detail.status_code == 200
    assert "María López" in _page(detail)
    assert duplicates.status_code == 200
    assert compare.status_code == 200
    assert "La Espiga Insurgentes" in _page(compare)


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_may_change_nothing(client, shop, role, request):
    # given a read-only or support user
    client.force_login(request.getfixturevalue(role))
    before = _catalog_state()
    attempts = _forbidden_attempts(shop)

    # when they open or submit any page that adds, changes, merges, erases or exports
    statuses = _statuses(client, attempts)

    # then each one is refused
    assert statuses == dict.fromkeys(attempts, 403)
    # and the catalog is as it was
    assert _catalog_state() == before


@pytest.mark.parametrize("role", ["readonly", "owner"])
def test_actions_that_change_data_take_only_a_post(client, shop, role, request):
    # given a signed-in user
    client.force_login(request.getfixturevalue(role))
    pk, address, candidate = shop["customer"].pk, shop["address"], shop["candidate"]
    before = _catalog_state()

    # when a link (a GET) points at a merge, a dismissal or a new default address
    statuses = [
        client.get(reverse("customers:duplicate_merge", args=[candidate.pk])).status_code,
        client.get(reverse("customers:duplicate_dismiss", args=[candidate.pk])).status_code,
        client.get(reverse("customers:address_default", args=[pk, address.pk])).status_code,
    ]

    # then it is refused as the wrong method and nothing happens
    assert statuses == [405, 405, 405]
    assert _catalog_state() == before


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_get_no_edit_buttons(client, shop, role, request):
    # given a read-only or support user
    client.force_login(request.getfixturevalue(role))
    customer, contact, address = shop["customer"], shop["contact"], shop["address"]

    # when they open a customer, the list and a pair of possible duplicates
    detail = _page(client.get(reverse("customers:detail", args=[customer.pk])))
    listing = _page(client.get(reverse("customers:list")))
    compare = _page(client.get(reverse("customers:duplicate", args=[shop["candidate"].pk])))

    # then no button leads to a page they may not use
    for url in [
        reverse("customers:edit", args=[customer.pk]),
        reverse("customers:contact_create", args=[customer.pk]),
        reverse("customers:contact_edit", args=[customer.pk, contact.pk]),
        reverse("customers:address_create", args=[customer.pk]),
        reverse("customers:address_delete", args=[customer.pk, address.pk]),
        reverse("customers:personal_data", args=[customer.pk]),
        reverse("customers:anonymise", args=[customer.pk]),
    ]:
        assert f'href="{url}"' not in detail and f'action="{url}"' not in detail, url
    assert reverse("customers:create") not in listing
    assert "Add a customer" not in listing
    assert reverse("customers:duplicate_merge", args=[shop["candidate"].pk]) not in compare
    # but the page itself is all there
    assert "Panadería La Espiga" in detail
    assert "Av. Insurgentes Sur 123" in detail


def test_sales_may_create_and_edit_but_not_merge_anonymise_or_export(client, shop, sales):
    # given a salesperson
    client.force_login(sales)
    attempts = _forbidden_attempts(shop)
    before = _catalog_state()

    # when they open the pages that add and change customers
    editing = {
        label: getattr(client, method)(url).status_code
        for label, (method, url, _data) in attempts.items()
        if method == "get" and label not in OWNER_ONLY
    }
    # and try the owner's actions
    owner_only = _statuses(client, {k: v for k, v in attempts.items() if k in OWNER_ONLY})

    # then they may add and edit
    assert editing == dict.fromkeys(editing, 200)
    # but merging, anonymising and exporting are refused and change nothing
    assert owner_only == dict.fromkeys(OWNER_ONLY, 403)
    assert _catalog_state() == before


def test_sales_see_the_edit_button_but_not_the_personal_data_menu(client, shop, sales):
    # given a salesperson
    client.force_login(sales)
    pk = shop["customer"].pk

    # when they open a customer
    page = _page(client.get(reverse("customers:detail", args=[pk])))

    # then they can edit it, its contacts and its addresses, but not export or erase it
    assert f'href="{reverse("customers:edit", args=[pk])}"' in page
    assert f'href="{reverse("customers:contact_create", args=[pk])}"' in page
    assert f'href="{reverse("customers:address_create", args=[pk])}"' in page
    assert reverse("customers:personal_data", args=[pk]) not in page
    assert reverse("customers:anonymise", args=[pk]) not in page


def test_owner_may_open_every_page(client, shop, owner):
    # given the owner
    client.force_login(owner)
    attempts = _forbidden_attempts(shop)
    pk = shop["customer"].pk

    # when they open every page that adds, changes, erases or exports
    statuses = {
        label: getattr(client, method)(url).status_code
        for label, (method, url, _data) in attempts.items()
        if method == "get"
    }
    detail = _page(client.get(reverse("customers:detail", args=[pk])))
    compare = _page(client.get(reverse("customers:duplicate", args=[shop["candidate"].pk])))

    # then each one opens
    assert statuses == dict.fromkeys(statuses, 200)
    # and the customer page offers editing, export and anonymisation
    assert f'href="{reverse("customers:edit", args=[pk])}"' in detail
    assert f'href="{reverse("customers:personal_data", args=[pk])}"' in detail
    assert f'href="{reverse("customers:anonymise", args=[pk])}"' in detail
    # and the comparison offers the merge
    assert reverse("customers:duplicate_merge", args=[shop["candidate"].pk]) in compare


def test_salespeople_limited_to_their_own_customers(client, settings, owner, user_with_role):
    # given salespeople who see only their own customers
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    diego, sofia = user_with_role("sales"), user_with_role("sales")
    mine = CustomerFactory(actor=owner, name="Tortillería Doña Mary", owner=diego)
    theirs = CustomerFactory(
        actor=owner,
        name="Cafetería El Portal",
        owner=sofia,
        contacts=[{"name": "Ana Ruiz"}],
        addresses=[{"street": "Reforma 10", "city": "Puebla"}],
    )
    contact, address = theirs.contacts.get(), theirs.addresses.get()
    client.force_login(diego)
    before = _catalog_state()

    # when Diego opens the list, searches, and opens or changes Sofía's customer
    listing = client.get(reverse("customers:list"))
    searched = client.get(reverse("customers:list"), {"q": "Portal"})
    answers = {
        "detail": client.get(reverse("customers:detail", args=[theirs.pk])).status_code,
        "edit GET": client.get(reverse("customers:edit", args=[theirs.pk])).status_code,
        "edit POST": client.post(
            reverse("customers:edit", args=[theirs.pk]), _edit_form(theirs, name="Mío")
        ).status_code,
        "contact edit": client.get(
            reverse("customers:contact_edit", args=[theirs.pk, contact.pk])
        ).status_code,
        "address delete": client.post(
            reverse("customers:address_delete", args=[theirs.pk, address.pk])
        ).status_code,
    }
    own = client.get(reverse("customers:detail", args=[mine.pk]))

    # then the list shows only his own customer
    assert _listed(listing) == ["Tortillería Doña Mary"]
    assert _listed(searched) == []
    # and Sofía's customer does not exist for him
    assert answers == dict.fromkeys(answers, 404)
    assert _catalog_state() == before
    # while his own opens
    assert own.status_code == 200


# --- the list -----------------------------------------------------------------------


@pytest.fixture
def catalog(owner, user_with_role):
    """Four customers that differ in every way the list filters by."""
    diego, sofia = user_with_role("sales"), user_with_role("sales")
    return {
        "diego": diego,
        "sofia": sofia,
        "espiga": CustomerFactory(
            actor=owner,
            name="Panadería La Espiga",
            tax_id="GODE561231GR8",
            phones=["+52 55 1234 5678"],
            tags=["VIP"],
            owner=diego,
            source="walk_in",
            addresses=[{"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México"}],
        ),
        "mary": CustomerFactory(
            actor=owner,
            name="Tortillería Doña Mary",
            emails=["mary@tortilleria.mx"],
            phones=["222 555 0101"],
            tags=["Mayoreo"],
            owner=sofia,
            source="referral",
            contacts=[{"name": "Rosa Martínez", "role": "Compras"}],
            addresses=[{"street": "Calle 5 de Mayo 10", "city": "Puebla"}],
        ),
        "portal": CustomerFactory(
            actor=owner,
            name="Cafetería El Portal",
            tags=["VIP", "Mayoreo"],
            owner=sofia,
            source="event",
            addresses=[{"street": "Portal Hidalgo 3", "city": "Puebla"}],
        ),
        "zapata": CustomerFactory(actor=owner, name="Abarrotes Zapata", source="walk_in"),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("espiga", ["Panadería La Espiga"]),
        ("PANADERIA", ["Panadería La Espiga"]),  # accents and case ignored
        ("GODE5612", ["Panadería La Espiga"]),  # the start of an RFC
        ("gode 561231", ["Panadería La Espiga"]),  # written with a space
        ("55 1234 5678", ["Panadería La Espiga"]),  # national form of +52 55 1234 5678
        ("(55) 1234-5678", ["Panadería La Espiga"]),
        ("2225550101", ["Tortillería Doña Mary"]),
        ("Rosa Martínez", ["Tortillería Doña Mary"]),  # a contact's name
        ("mary@tortilleria.mx", ["Tortillería Doña Mary"]),
        ("Veracruz", []),
    ],
)
def test_list_search(client, readonly, catalog, search, expected):
    # given the catalog and a read-only user
    client.force_login(readonly)

    # when they search
    response = client.get(reverse("customers:list"), {"q": search})

    # then the list shows exactly the matching customers
    assert response.status_code == 200
    assert _listed(response) == expected
    if not expected:
        assert "No customer matches this search" in _page(response)


def test_list_filters(client, readonly, catalog):
    # given the catalog and a read-only user
    client.force_login(readonly)
    url = reverse("customers:list")

    # when they filter by tag, owner, source and city, alone and together
    by_tag = client.get(url, {"tag": "VIP"})
    by_owner = client.get(url, {"owner": catalog["sofia"].pk})
    by_source = client.get(url, {"source": "walk_in"})
    by_city = client.get(url, {"city": "Puebla"})
    combined = client.get(url, {"tag": "Mayoreo", "city": "Puebla", "source": "event"})

    # then each shows only the customers that match, in name order
    assert _listed(by_tag) == ["Cafetería El Portal", "Panadería La Espiga"]
    assert _listed(by_owner) == ["Cafetería El Portal", "Tortillería Doña Mary"]
    assert _listed(by_source) == ["Abarrotes Zapata", "Panadería La Espiga"]
    assert _listed(by_city) == ["Cafetería El Portal", "Tortillería Doña Mary"]
    assert _listed(combined) == ["Cafetería El Portal"]
    # and offers to clear them
    assert "Clear search and filters" in _page(by_tag)


def test_list_filter_not_contacted_for_n_days(client, readonly, catalog):
    # given customers last contacted 10 and 100 days ago, and two never contacted
    now = timezone.now()
    customers_contacted(
        {
            catalog["portal"].pk: now - timedelta(days=10),
            catalog["zapata"].pk: now - timedelta(days=100),
        }
    )
    client.force_login(readonly)
    url = reverse("customers:list")

    # when they look for those not contacted for 30 and for 180 days
    thirty = client.get(url, {"not_contacted": "30"})
    half_year = client.get(url, {"not_contacted": "180", "city": "Puebla"})
    nonsense = client.get(url, {"not_contacted": "soon"})

    # then the 30 days leave out only the one contacted lately, never contacted included
    assert _listed(thirty) == [
        "Abarrotes Zapata",
        "Panadería La Espiga",
        "Tortillería Doña Mary",
    ]
    assert _listed(half_year) == ["Tortillería Doña Mary"]
    assert 'value="30" selected' in _page(thirty)
    # and a value that is no choice filters nothing
    assert len(_listed(nonsense)) == 4


def test_list_ordering(client, readonly, catalog):
    # given the catalog and a read-only user
    client.force_login(readonly)
    url = reverse("customers:list")
    by_name = [
        "Abarrotes Zapata",
        "Cafetería El Portal",
        "Panadería La Espiga",
        "Tortillería Doña Mary",
    ]
    by_creation = ["Panadería La Espiga", "Tortillería Doña Mary", "Cafetería El Portal"]
    by_creation.append("Abarrotes Zapata")

    # when they sort the list each way
    default = client.get(url)
    ordered = {o: _listed(client.get(url, {"ordering": o})) for o in ["name", "-name"]}
    ordered |= {o: _listed(client.get(url, {"ordering": o})) for o in ["created", "-created"]}

    # then the rows follow
    assert _listed(default) == by_name
    assert ordered["name"] == by_name
    assert ordered["-name"] == by_name[::-1]
    assert ordered["created"] == by_creation
    assert ordered["-created"] == by_creation[::-1]


def test_list_pagination(client, readonly, owner):
    # given more customers than fit on one page
    for number in range(30):
        CustomerFactory(actor=owner, name=f"Cliente {number:02d}")
    client.force_login(readonly)
    url = reverse("customers:list")

    # when they open the first and the second page, and a page past the end
    first = client.get(url)
    second = client.get(url, {"page": 2})
    beyond = client.get(url, {"page": 99})

    # then the first shows 25, the second the other 5, and a page past the end the last one
    assert _listed(first) == [f"Cliente {n:02d}" for n in range(25)]
    assert "30 customers · page 1 of 2" in _page(first)
    assert 'rel="next"' in _page(first)
    assert _listed(second) == [f"Cliente {n:02d}" for n in range(25, 30)]
    assert "page 2 of 2" in _page(second)
    assert _listed(beyond) == _listed(second)


def test_htmx_search_returns_only_the_results(client, readonly, catalog):
    # given a read-only user typing in the search box (htmx targets the results region)
    client.force_login(readonly)

    # when the search is sent by htmx
    response = client.get(reverse("customers:list"), {"q": "espiga"}, headers=HTMX)

    # then only the results come back, not the whole page
    page = _page(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="customer-results"')
    assert "<html" not in page
    assert 'id="customer-filters"' not in page
    assert _listed(response) == ["Panadería La Espiga"]
    # and the same address opened directly still gives the whole page
    full = _page(client.get(reverse("customers:list"), {"q": "espiga"}))
    assert "<html" in full
    assert 'id="customer-filters"' in full


def _busy_customers(owner, numbers) -> None:
    """Customers with two phones, two e-mails, two addresses, a contact and two tags each."""
    for number in numbers:
        CustomerFactory(
            actor=owner,
            name=f"Cliente {number:02d}",
            emails=[f"compras{number}@cliente.mx", f"pagos{number}@cliente.mx"],
            phones=[f"55 {1000 + number:04d} {2000 + number:04d}", f"33 3{number:03d} 4000"],
            tags=["VIP", f"Ruta {number % 3}"],
            owner=owner,
            source="walk_in",
            contacts=[{"name": f"Contacto {number}", "phone": f"55 {5000 + number:04d} 0000"}],
            addresses=[
                {"street": f"Calle {number} número {number}", "city": "Puebla"},
                {"street": f"Bodega {number}", "city": f"Ciudad {number % 4}"},
            ],
        )


def test_list_runs_the_same_number_of_queries_for_5_and_30_customers(client, readonly, owner):
    # given 5 customers with phones, e-mails, addresses and tags
    _busy_customers(owner, range(5))
    client.force_login(readonly)
    url = reverse("customers:list")
    client.get(url)  # the session and the user are loaded the same way every time

    # when the list is opened with 5, and then with 30 such customers
    with CaptureQueriesContext(connection) as five:
        small = client.get(url)
    with CaptureQueriesContext(connection) as five_htmx:
        client.get(url, headers=HTMX)
    _busy_customers(owner, range(5, 30))
    with CaptureQueriesContext(connection) as thirty:
        large = client.get(url)
    with CaptureQueriesContext(connection) as thirty_htmx:
        client.get(url, headers=HTMX)

    # then both pages are complete
    assert len(_listed(small)) == 5
    assert len(_listed(large)) == 25
    assert "+52 55 1024 2024" in _page(large)  # the last row's phone, e-mail, city and tags
    assert "compras24@cliente.mx" in _page(large)
    assert ">Puebla<" in _page(large) and ">Ruta 0<" in _page(large)
    # and both ran the same number of queries
    queries = [q["sql"] for q in thirty.captured_queries]
    assert len(five) == len(thirty), "\n".join(queries)
    assert len(five_htmx) == len(thirty_htmx)


# --- adding a customer --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "tax_id",
            {"tax_id": "GODE561231GR9"},
            "Not a valid RFC (Mexico): its check digit is wrong.",
        ),
        ("emails", {"emails": "ventas@"}, "Not a valid e-mail address: ventas@."),
        ("phones", {"phones": "55 12"}, "Not a valid phone number: 55 12."),
        ("name", {"name": "x" * 201}, "Ensure this value has at most 200 characters"),
        ("name", {"name": ""}, "A new customer needs a name or a legal name."),
    ],
)
def test_create_refuses_a_wrong_value_beside_its_field(client, sales, field, typed, message):
    # given a salesperson on the "Add a customer" form
    client.force_login(sales)

    # when they save it with one wrong value
    response = client.post(reverse("customers:create"), _new_customer(**typed))

    # then the form comes back with the reason beside that field, and only that field
    assert response.status_code == 200
    assert message in _field_error(response, field)
    assert f'aria-describedby="id_{field}_error"' in _page(response)
    others = {"tax_id", "emails", "phones", "name", "country"} - {field}
    assert {name: _field_error(response, name) for name in others} == dict.fromkeys(others, "")
    # and what they typed is still there
    if typed.get(field):
        assert html.escape(typed[field]) in _page(response)
    # and nothing was written
    assert not Customer.objects.exists()


def test_create_stores_a_customer_and_shows_it(client, sales):
    # given a salesperson on the "Add a customer" form, which makes them the owner
    client.force_login(sales)
    form = _page(client.get(reverse("customers:create")))
    assert f'<option value="{sales.pk}" selected>' in form

    # when they save a customer with a tax id, an e-mail and a phone as people type them
    response = client.post(
        reverse("customers:create"),
        _new_customer(
            owner=sales.pk,
            name="Café Olé",
            tax_id="gode-561231-gr8",
            external_id="C-0042",
            emails="Ventas@CafeOle.MX",
            phones="(55) 1234-5678\n33 3333 4444",
            tags="VIP, Mayoreo",
            source="walk_in",
            consent_email="on",
        ),
    )

    # then they land on the new customer's page
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    # and the values are stored normalised
    assert customer.tax_id == "GODE561231GR8"
    assert list(customer.phones.values_list("number", flat=True)) == [
        "+525512345678",
        "+523333334444",
    ]
    assert list(customer.emails.values_list("email", flat=True)) == ["ventas@cafeole.mx"]
    assert customer.owner == sales
    assert customer.consent_email is True
    # and the page shows them, with a confirmation
    page = client.get(response["Location"])
    assert "Customer “Café Olé” added." in _messages(page)
    assert "RFC GODE 561231 GR8" in _page(page)
    assert "+52 55 1234 5678" in _page(page)
    assert customer.external_id == "C-0042"
    assert "C-0042" in _page(page)


def test_a_new_customer_with_only_a_legal_name_is_called_by_it(client, sales):
    # given a salesperson who types only the legal name of a new customer
    client.force_login(sales)

    # when they save the form
    response = client.post(
        reverse("customers:create"),
        _new_customer(name="", legal_name="Hoteles Casa Azul, S.A. de C.V."),
    )

    # then the customer is added, named by its legal name
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert (customer.name, customer.legal_name) == ("Hoteles Casa Azul, S.A. de C.V.",) * 2


def test_create_warns_about_a_possible_duplicate(client, sales, owner):
    # given a customer already in the catalog
    CustomerFactory(actor=owner, name="Panadería La Espiga", phones=["55 1234 5678"])
    client.force_login(sales)

    # when a salesperson adds it again, with the same phone written another way
    response = client.post(
        reverse("customers:create"), _new_customer(name="La Espiga", phones="+52 1 55 1234 5678")
    )

    # then it is added, with a warning pointing at the possible duplicates
    page = client.get(response["Location"])
    assert response.status_code == 302
    assert "looks like 1 other customer" in _messages(page)
    assert "Possible duplicates" in _page(page)


def test_create_errors_follow_the_language(client, sales, restore_language):
    # given a salesperson whose browser asks for Spanish
    client.force_login(sales)

    # when they save a customer with a wrong RFC and a wrong phone
    response = client.post(
        reverse("customers:create"),
        _new_customer(tax_id="GODE561231GR9", phones="55 12"),
        HTTP_ACCEPT_LANGUAGE="es",
    )

    # then the page and the reasons are in Spanish
    assert response.status_code == 200
    assert '<html lang="es">' in _page(response)
    assert _field_error(response, "tax_id") == (
        "No es válido como RFC (México): su dígito verificador es incorrecto."
    )
    assert _field_error(response, "phones") == "Número de teléfono no válido: 55 12."
    assert not Customer.objects.exists()


def test_create_with_a_referrer_typed_or_picked(client, sales, owner):
    # given a customer who recommends others
    espiga = CustomerFactory(actor=owner, name="Panadería La Espiga")
    client.force_login(sales)
    url = reverse("customers:create")

    # when the referrer is typed as an unknown number, as a word, or picked from suggestions
    unknown = client.post(url, _new_customer(referred_by="987654"))
    word = client.post(url, _new_customer(referred_by="Espiga"))
    picked = client.post(url, _new_customer(referred_by=f"{espiga.pk} · {espiga.name}"))

    # then the wrong ones are explained beside the field and not stored
    assert _field_error(unknown, "referred_by") == "There is no customer number 987654."
    assert _field_error(word, "referred_by") == (
        "Type the customer's number, or pick a suggestion."
    )
    # and the picked one is stored and shown
    assert picked.status_code == 302
    added = Customer.objects.get(name="Café Olé")
    assert added.referred_by == espiga
    detail = _page(client.get(picked["Location"]))
    assert f'href="{reverse("customers:detail", args=[espiga.pk])}"' in detail


def test_lookup_suggests_customers_as_the_user_types(client, readonly, owner):
    # given two customers
    espiga = CustomerFactory(actor=owner, name="Panadería La Espiga")
    CustomerFactory(actor=owner, name="Tortillería Doña Mary")
    client.force_login(readonly)

    # when a referrer field asks for suggestions
    response = client.get(reverse("customers:lookup"), {"referred_by": "espi"})

    # then only the matching customer is offered, by number
    assert response.status_code == 200
    assert _page(response).strip() == (f'<option value="{espiga.pk}">Panadería La Espiga</option>')


# --- editing a customer -------------------------------------------------------------


def test_edit_shows_the_current_values(client, sales, shop):
    # given a salesperson
    client.force_login(sales)

    # when they open the edit form of a customer
    response = client.get(reverse("customers:edit", args=[shop["customer"].pk]))

    # then it holds the customer's values
    page = _page(response)
    assert response.status_code == 200
    assert 'value="Panadería La Espiga"' in page
    assert 'value="GODE561231GR8"' in page
    assert "+525512345678" in page
    assert 'value="VIP"' in page


def test_edit_saves_and_the_reason_shows_in_the_history(client, sales, shop):
    # given a salesperson editing a customer
    client.force_login(sales)
    customer = shop["customer"]
    url = reverse("customers:edit", args=[customer.pk])

    # when they rename it, add a phone and give a reason
    response = client.post(
        url,
        _edit_form(
            customer,
            name="Panadería La Espiga Centro",
            phones="55 1234 5678\n55 8765 4321",
            reason="The owner called to say they moved",
        ),
    )

    # then the change is saved and they see the customer
    customer.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.name == "Panadería La Espiga Centro"
    assert customer.phones.count() == 2
    # and the history on the customer's page says what changed, who changed it and why
    page = client.get(response["Location"])
    history = html.unescape(_page(page).split('id="timeline-heading"')[-1])
    assert "Changes saved." in _messages(page)
    assert "The owner called to say they moved" in history
    assert "Panadería La Espiga" in history and "Panadería La Espiga Centro" in history
    assert str(sales) in history


def test_edit_of_an_outdated_version_is_refused(client, sales, owner, shop):
    # given a salesperson who opened the edit form
    client.force_login(sales)
    customer = shop["customer"]
    url = reverse("customers:edit", args=[customer.pk])
    opened = _edit_form(customer)
    # and the owner changed the customer meanwhile
    customer_update(
        actor=owner, customer=Customer.objects.get(pk=customer.pk), version=1, name="La Espiga"
    )

    # when the salesperson saves their change
    response = client.post(url, {**opened, "name": "Espiga Sur", "notes": "Mine"})

    # then it is refused with a warning, and their typing is still in the form
    page = html.unescape(_page(response))
    assert response.status_code == 200
    assert "Someone else changed this record since you opened it." in page
    assert "Your changes were not saved and are still in the form below." in page
    assert 'value="Espiga Sur"' in page
    # and nothing the owner saved was overwritten
    customer.refresh_from_db()
    assert customer.name == "La Espiga"
    assert customer.notes == ""
    assert customer.version == 2


def test_edit_refuses_a_wrong_value_and_changes_nothing(client, sales, shop):
    # given a salesperson editing a customer
    client.force_login(sales)
    customer = shop["customer"]

    # when they save a new name with a wrong RFC
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        _edit_form(customer, name="Otro nombre", tax_id="GODE561231GR9"),
    )

    # then the error is beside the tax id
    assert response.status_code == 200
    assert "check digit is wrong" in _field_error(response, "tax_id")
    # and nothing changed
    customer.refresh_from_db()
    assert (customer.name, customer.tax_id, customer.version) == (
        "Panadería La Espiga",
        "GODE561231GR8",
        1,
    )


# --- contacts and addresses ---------------------------------------------------------


def test_contact_create_edit_and_delete(client, sales, shop):
    # given a salesperson on a customer's page
    client.force_login(sales)
    customer = shop["customer"]
    detail = reverse("customers:detail", args=[customer.pk])

    # when they add a contact person
    added = client.post(
        reverse("customers:contact_create", args=[customer.pk]),
        _contact_form(
            name="Jorge Pérez", email="Jorge@Espiga.MX", phone="55 8765 4321", is_primary="on"
        ),
    )
    # then it is stored, normalised, and shown on the customer's page
    contact = customer.contacts.get(name="Jorge Pérez")
    assert added.status_code == 302
    assert added["Location"] == detail + "#contacts"
    assert (contact.email, contact.phone, contact.is_primary) == (
        "jorge@espiga.mx",
        "+525587654321",
        True,
    )
    assert "Jorge Pérez" in _page(client.get(detail))
    # and the new contact can be found from the list
    assert _listed(client.get(reverse("customers:list"), {"q": "jorge@espiga"})) == [customer.name]

    # when they change it
    edit_url = reverse("customers:contact_edit", args=[customer.pk, contact.pk])
    form = client.get(edit_url)
    edited = client.post(
        edit_url, _contact_form(name="Jorge Pérez Ruiz", role="Dueño", version=contact.version)
    )
    # then the form showed the old values and the new ones are saved
    assert 'value="Jorge Pérez"' in _page(form)
    contact.refresh_from_db()
    assert edited.status_code == 302
    assert (contact.name, contact.role, contact.email) == ("Jorge Pérez Ruiz", "Dueño", "")

    # when they delete it, confirming on the page that asks
    delete_url = reverse("customers:contact_delete", args=[customer.pk, contact.pk])
    confirm = client.get(delete_url)
    deleted = client.post(delete_url)
    # then it is gone from the customer
    assert "Delete this contact?" in _page(confirm)
    assert "Jorge Pérez Ruiz" in _page(confirm)
    assert deleted.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    page = client.get(deleted["Location"])
    assert "Deleted: Jorge Pérez Ruiz." in _messages(page)
    assert "Jorge Pérez Ruiz" not in _section(page, "contacts")


def test_contact_errors_are_named_per_field(client, sales, shop):
    # given a salesperson adding a contact
    client.force_login(sales)
    customer = shop["customer"]
    url = reverse("customers:contact_create", args=[customer.pk])

    # when the e-mail and the phone are wrong, and when the name is missing
    wrong = client.post(url, _contact_form(email="jorge@", phone="12"))
    nameless = client.post(url, _contact_form(name=""))

    # then each error is beside its field
    assert wrong.status_code == 200
    assert _field_error(wrong, "email") == "Not a valid e-mail address: jorge@."
    assert _field_error(wrong, "phone") == "Not a valid phone number: 12."
    assert _field_error(wrong, "name") == ""
    assert _field_error(nameless, "name") == "This field is required."
    # and no contact was added
    assert list(customer.contacts.values_list("name", flat=True)) == ["María López"]


def test_contact_edit_of_an_outdated_version_is_refused(client, sales, owner, shop):
    # given a salesperson editing a contact the owner changed meanwhile
    client.force_login(sales)
    contact, customer = shop["contact"], shop["customer"]
    url = reverse("customers:contact_edit", args=[customer.pk, contact.pk])
    client.post(url, _contact_form(name="María López", role="Dueña", version=contact.version))

    # when the salesperson saves with the version they opened
    response = client.post(url, _contact_form(name="María L.", version=contact.version))

    # then it is refused and the contact keeps the newer value
    assert response.status_code == 200
    assert "Someone else changed this record" in html.unescape(_page(response))
    contact.refresh_from_db()
    assert (contact.name, contact.role) == ("María López", "Dueña")


def test_address_create_edit_make_default_and_delete(client, sales, shop):
    # given a salesperson on a customer with one (default) address
    client.force_login(sales)
    customer, first = shop["customer"], shop["address"]
    detail = reverse("customers:detail", args=[customer.pk])

    # when they add a second address
    added = client.post(
        reverse("customers:address_create", args=[customer.pk]),
        _address_form(label="Bodega", postal_code="72000 "),
    )
    # then it is stored and shown; the first stays the default
    second = customer.addresses.get(label="Bodega")
    assert added.status_code == 302
    assert added["Location"] == detail + "#addresses"
    assert (second.city, second.postal_code, second.is_default) == ("Puebla", "72000", False)
    assert "Calle 5 de Mayo 10" in _page(client.get(detail))

    # when they change it
    edit_url = reverse("customers:address_edit", args=[customer.pk, second.pk])
    assert 'value="Calle 5 de Mayo 10"' in _page(client.get(edit_url))
    edited = client.post(
        edit_url, _address_form(label="Bodega", street="Calle 16 de Septiembre 4", version=1)
    )
    second.refresh_from_db()
    assert edited.status_code == 302
    assert second.street == "Calle 16 de Septiembre 4"

    # when they make it the default
    made = client.post(
        reverse("customers:address_default", args=[customer.pk, second.pk]),
        {"version": second.version},
    )
    # then it is the one default address, and the list shows its city
    assert made.status_code == 302
    assert "Default address changed." in _messages(client.get(made["Location"]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert _listed(client.get(reverse("customers:list"), {"city": "Puebla"})) == [customer.name]

    # when they delete the default address
    delete_url = reverse("customers:address_delete", args=[customer.pk, second.pk])
    assert "Delete this address?" in _page(client.get(delete_url))
    deleted = client.post(delete_url)
    # then it is gone and the remaining one is the default again
    assert deleted.status_code == 302
    assert list(customer.addresses.values_list("pk", "is_default")) == [(first.pk, True)]


def test_address_errors_are_named_per_field(client, sales, shop):
    # given a salesperson adding an address
    client.force_login(sales)
    customer = shop["customer"]

    # when street and city are missing and the country is unknown
    response = client.post(
        reverse("customers:address_create", args=[customer.pk]),
        _address_form(street="", city="", country="XX"),
    )

    # then each error is beside its field
    assert response.status_code == 200
    assert _field_error(response, "street") == "This field is required."
    assert _field_error(response, "city") == "This field is required."
    assert "XX" in _field_error(response, "country")
    assert _field_error(response, "postal_code") == ""
    # and nothing was added
    assert customer.addresses.count() == 1


def test_make_default_with_an_outdated_version_changes_nothing(client, sales, owner, shop):
    # given a customer with two addresses, the second changed since the page was opened
    client.force_login(sales)
    customer, first = shop["customer"], shop["address"]
    second = address_create(actor=owner, customer=customer, street="Reforma 1", city="Puebla")
    seen = second.version
    client.post(
        reverse("customers:address_edit", args=[customer.pk, second.pk]),
        _address_form(street="Reforma 2", version=seen),
    )

    # when the salesperson clicks "Make default" on the page they had open
    response = client.post(
        reverse("customers:address_default", args=[customer.pk, second.pk]), {"version": seen}
    )

    # then they are told, and the default stays where it was
    assert "Someone else changed this record" in _messages(client.get(response["Location"]))
    assert set(customer.addresses.values_list("pk", "is_default")) == {
        (first.pk, True),
        (second.pk, False),
    }


def test_an_unknown_contact_or_address_is_not_found(client, sales, shop):
    # given a salesperson, and the contact and address of another customer
    client.force_login(sales)
    other = shop["duplicate"]
    contact, address = other.contacts.get(), other.addresses.get()
    pk = shop["customer"].pk

    # when they reach them through the wrong customer
    answers = [
        client.get(reverse("customers:contact_edit", args=[pk, contact.pk])).status_code,
        client.post(reverse("customers:contact_delete", args=[pk, contact.pk])).status_code,
        client.get(reverse("customers:address_edit", args=[pk, address.pk])).status_code,
        client.get(reverse("customers:detail", args=[987654])).status_code,
    ]

    # then there is no such page, and nothing was deleted
    assert answers == [404, 404, 404, 404]
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- duplicates and merge -----------------------------------------------------------


@pytest.fixture
def twins(owner):
    """The same person entered twice with the phone typed differently, as in the demo."""
    lupita = CustomerFactory(
        actor=owner,
        kind="person",
        name="Guadalupe Hernández López",
        phones=["55 1234 5678"],
        emails=["lupita@example.com"],
        tags=["VIP"],
        contacts=[{"name": "Pedro Hernández", "role": "Esposo"}],
        addresses=[{"street": "Calle Orizaba 12", "city": "Ciudad de México"}],
    )
    twin = CustomerFactory(
        actor=owner,
        kind="person",
        name="Lupita Hernández",
        phones=["+52 (55) 1234-5678"],
        source="walk_in",
        contacts=[{"name": "Rosa Hernández", "role": "Hija"}],
        addresses=[{"street": "Av. Juárez 3", "city": "Puebla"}],
    )
    return {"lupita": lupita, "twin": twin, "candidate": DuplicateCandidate.objects.get()}


def test_duplicates_list_shows_a_pair_with_the_same_phone(client, support, twins):
    # given two customers with the same phone, and a support user
    client.force_login(support)

    # when they open the possible duplicates
    response = client.get(reverse("customers:duplicates"))

    # then the pair is listed with the reason
    page = _page(response)
    assert response.status_code == 200
    assert "Guadalupe Hernández López" in page
    assert "Lupita Hernández" in page
    assert "same phone" in page
    assert reverse("customers:duplicate", args=[twins["candidate"].pk]) in page
    # and the customer's own page links to it too
    detail = _page(client.get(reverse("customers:detail", args=[twins["lupita"].pk])))
    assert reverse("customers:duplicate", args=[twins["candidate"].pk]) in detail


def test_compare_shows_the_two_side_by_side(client, owner, twins):
    # given the owner
    client.force_login(owner)

    # when they compare the pair
    response = client.get(reverse("customers:duplicate", args=[twins["candidate"].pk]))

    # then both customers' details are there, with a form to merge them
    page = html.unescape(_page(response))
    assert response.status_code == 200
    assert "Are these the same customer?" in page
    for text in ["Guadalupe Hernández López", "Lupita Hernández", "Pedro Hernández"]:
        assert text in page
    assert "Rosa Hernández" in page
    assert "+52 55 1234 5678" in page
    assert "Keep Guadalupe Hernández López" in page
    assert "Keep Lupita Hernández" in page


def test_merge_moves_everything_to_the_customer_kept(client, owner, twins):
    # given the owner comparing the pair
    client.force_login(owner)
    lupita, twin, candidate = twins["lupita"], twins["twin"], twins["candidate"]

    # when they keep the first one and merge
    response = client.post(
        reverse("customers:duplicate_merge", args=[candidate.pk]),
        {
            "survivor": lupita.pk,
            "reason": "Same person, she came in twice",
            f"version_{lupita.pk}": lupita.version,
            f"version_{twin.pk}": twin.version,
        },
    )

    # then they land on the customer kept
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[lupita.pk])
    # which now holds both records' contacts and addresses, and the fields it lacked
    lupita.refresh_from_db()
    twin.refresh_from_db()
    assert twin.merged_into == lupita
    assert sorted(lupita.contacts.values_list("name", flat=True)) == [
        "Pedro Hernández",
        "Rosa Hernández",
    ]
    assert sorted(lupita.addresses.values_list("street", flat=True)) == [
        "Av. Juárez 3",
        "Calle Orizaba 12",
    ]
    assert lupita.addresses.filter(is_default=True).count() == 1
    assert lupita.source == "walk_in"
    assert not twin.contacts.exists() and not twin.addresses.exists()
    page = client.get(response["Location"])
    assert "“Lupita Hernández” was merged into “Guadalupe Hernández López”." in _messages(page)
    assert "Rosa Hernández" in _page(page)
    assert "Same person, she came in twice" in _page(page)
    # and the merged one is gone from the list and the duplicates, and its page leads on
    assert _listed(client.get(reverse("customers:list"))) == ["Guadalupe Hernández López"]
    assert "No possible duplicates to review." in _page(client.get(reverse("customers:duplicates")))
    moved = client.get(reverse("customers:detail", args=[twin.pk]))
    assert moved.status_code == 302
    assert moved["Location"] == reverse("customers:detail", args=[lupita.pk])


def test_merge_refused_when_a_customer_changed_since_the_comparison(client, owner, twins):
    # given the owner comparing the pair, and the twin changed meanwhile
    client.force_login(owner)
    lupita, twin, candidate = twins["lupita"], twins["twin"], twins["candidate"]
    seen = {f"version_{lupita.pk}": lupita.version, f"version_{twin.pk}": twin.version}
    customer_update(actor=owner, customer=twin, version=twin.version, notes="Prefers mornings")

    # when they merge
    response = client.post(
        reverse("customers:duplicate_merge", args=[candidate.pk]),
        {"survivor": lupita.pk, **seen},
    )

    # then they are sent back to the comparison with the reason, and nothing is merged
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:duplicate", args=[candidate.pk])
    assert "Someone else changed this record" in _messages(client.get(response["Location"]))
    twin.refresh_from_db()
    assert twin.merged_into is None
    assert twin.contacts.count() == 1


def test_merge_needs_one_of_the_two_to_keep(client, owner, twins):
    # given the owner, and a customer that is not part of the pair
    client.force_login(owner)
    candidate = twins["candidate"]
    stranger_customer = CustomerFactory(actor=owner, name="Abarrotes Zapata")

    # when the merge names that customer, or none, as the one to keep
    stranger = client.post(
        reverse("customers:duplicate_merge", args=[candidate.pk]),
        {"survivor": stranger_customer.pk},
    )
    nobody = client.post(reverse("customers:duplicate_merge", args=[candidate.pk]), {})

    # then they are asked to choose, and nothing is merged
    for response in (stranger, nobody):
        assert response.status_code == 302
        assert response["Location"] == reverse("customers:duplicate", args=[candidate.pk])
    assert _messages(client.get(stranger["Location"])) == " ".join(
        ["Choose which of the two customers to keep."] * 2
    )
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_dismiss_hides_the_pair(client, owner, twins):
    # given the owner looking at a pair of possible duplicates
    client.force_login(owner)
    candidate = twins["candidate"]

    # when they mark it as not a duplicate
    response = client.post(reverse("customers:duplicate_dismiss", args=[candidate.pk]))

    # then they are back on the duplicates, which no longer show the pair
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:duplicates")
    page = client.get(response["Location"])
    assert "Marked as not a duplicate." in _messages(page)
    assert "No possible duplicates to review." in _page(page)
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISMISSED
    # and the pair is not proposed again, not even on the customer's page
    detail = _page(client.get(reverse("customers:detail", args=[twins["lupita"].pk])))
    assert reverse("customers:duplicate", args=[candidate.pk]) not in detail
    assert client.get(reverse("customers:duplicate", args=[candidate.pk])).status_code == 404
    # and both customers remain
    assert Customer.objects.filter(merged_into__isnull=True).count() == 2


def test_dismiss_from_a_customer_page_returns_there(client, owner, twins):
    # given the owner dismissing a pair from the customer's page
    client.force_login(owner)
    detail = reverse("customers:detail", args=[twins["lupita"].pk])

    # when the form says to come back to that page
    response = client.post(
        reverse("customers:duplicate_dismiss", args=[twins["candidate"].pk]), {"next": detail}
    )

    # then it returns there, and the page no longer proposes the pair
    assert response["Location"] == detail
    assert "None found." in _page(client.get(detail))


def test_dismiss_never_sends_the_user_to_another_site(client, owner, twins):
    # given the owner dismissing a pair
    client.force_login(owner)

    # when the form has been tampered with to send them to another site
    response = client.post(
        reverse("customers:duplicate_dismiss", args=[twins["candidate"].pk]),
        {"next": "https://evil.example/"},
    )

    # then they land on the duplicates page of this site
    assert response["Location"] == reverse("customers:duplicates")


# --- privacy ------------------------------------------------------------------------


def test_personal_data_export_downloads_json(client, owner, shop):
    # given the owner
    client.force_login(owner)
    customer = shop["customer"]

    # when they export a customer's personal data
    response = client.get(reverse("customers:personal_data", args=[customer.pk]))

    # then a JSON file is downloaded with the customer's data in it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer.pk}.json"'
    )
    data = json.loads(response.content)
    assert data["name"] == "Panadería La Espiga"
    assert data["emails"] == ["ventas@espiga.mx"]
    assert data["phones"] == ["+525512345678"]
    assert data["contacts"][0]["name"] == "María López"


def test_anonymise_erases_personal_data_but_keeps_the_customer(client, owner, shop):
    # given the owner on a customer's anonymise page
    client.force_login(owner)
    customer = shop["customer"]
    url = reverse("customers:anonymise", args=[customer.pk])
    confirm = client.get(url)
    assert "Erase the personal data of Panadería La Espiga?" in _page(confirm)

    # when they confirm with a reason
    response = client.post(
        url, {"reason": "She asked us by e-mail on 3 March", "version": customer.version}
    )

    # then the customer remains with no name, e-mails, phones or contacts
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    customer.refresh_from_db()
    assert customer.name == f"Anonymised customer #{customer.pk}"
    assert customer.tax_id == ""
    assert customer.anonymized_at is not None
    assert not customer.emails.exists()
    assert not customer.phones.exists()
    assert not customer.contacts.exists()
    assert customer.addresses.get().city == "Ciudad de México"
    # and its page says so, shows none of it, and offers no editing
    page = client.get(response["Location"])
    text = _page(page)
    assert "The customer's personal data was erased." in html.unescape(_messages(page))
    assert "Anonymised" in text
    for personal in ["Panadería La Espiga", "ventas@espiga.mx", "María López", "GODE"]:
        assert personal not in text
    assert reverse("customers:edit", args=[customer.pk]) not in text
    # and it can no longer be edited nor anonymised again
    edit = client.get(reverse("customers:edit", args=[customer.pk]))
    again = client.get(url)
    assert edit.status_code == 302 and again.status_code == 302
    assert "was anonymised and cannot be changed" in _messages(client.get(again["Location"]))


def test_anonymise_needs_a_reason(client, owner, shop):
    # given the owner on a customer's anonymise page
    client.force_login(owner)
    customer = shop["customer"]

    # when they confirm without saying why
    response = client.post(
        reverse("customers:anonymise", args=[customer.pk]),
        {"reason": "", "version": customer.version},
    )

    # then they are asked for it and nothing is erased
    assert response.status_code == 200
    assert _field_error(response, "reason") == "This field is required."
    customer.refresh_from_db()
    assert customer.name == "Panadería La Espiga"
    assert customer.anonymized_at is None
    assert customer.emails.exists()

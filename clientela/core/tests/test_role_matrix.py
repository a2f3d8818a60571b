"""Who sees what, role by role, over every API read and the main pages.

A book of two salespeople's customers (Ana's and Bruno's, with orders, relationship
work, an analysis, an event, a webhook and an import of Bruno's) is read as each role:
anonymous, read-only, support, Ana as a salesperson (seeing every customer, then limited
to her own with ``CLIENTELA_SALES_OWN_CUSTOMERS_ONLY``) and the owner. Each route answers
what the table says, and Ana limited to her own customers never reads Bruno's customer,
his orders' amounts nor the business's revenue. A new ``GET`` route of the API fails the
test until the table lists it.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.services import analysis_run
from clientela.analytics.tests.factories import purchases_create
from clientela.campaigns.services import campaign_launch
from clientela.campaigns.tests.factories import campaign_draft
from clientela.core.api import api
from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.events.tests.factories import EventFactory
from clientela.imports.services import import_run_upload
from clientela.imports.tests.uploads import csv_upload
from clientela.orders.tests.factories import ProductFactory
from clientela.relations.services import (
    activity_plan,
    interaction_record,
    note_add,
    opportunity_create,
)
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "readonly", "support", "sales", "limited", "owner")
# What of Bruno's Ana must never read when limited: his customer's name, contact and
# street, his orders' amounts, and the business's revenue (his and hers), as the API
# writes them and as the pages do.
THEIRS = (
    "Zapatería Bruno",
    "Contacto Bruno",
    "Calle Bruno",
    "98765.43",
    "98,765",
    "197530.86",
    "197,530",
    "197730.86",
    "197,730",
)

# Expected status by role; ``READ`` for a route every signed-in role reads.
READ = dict.fromkeys(ROLES[1:], 200) | {"anonymous": 401}
OWNER_ONLY = {"anonymous": 401, "readonly": 403, "support": 403, "sales": 403, "limited": 403}
OWNER_ONLY |= {"owner": 200}
IMPORTERS = {"anonymous": 401, "readonly": 403, "support": 403, "sales": 404, "limited": 404}
IMPORTERS |= {"owner": 200}


def _hidden_from_limited(expected: dict) -> dict:
    """``expected``, but Ana limited to her own customers gets 404 (Bruno's record)."""
    return expected | {"limited": 404}


# Every GET route of the API: (path and any query it needs, the book's record each
# parameter names, statuses).
# A route with a customer's record is read for Ana's ("mine") and Bruno's ("theirs").
API_ROUTES: list[tuple[str, str, dict]] = [
    ("/customers", "", READ),
    ("/customers/duplicates", "", READ),
    ("/customers/{int:customer_id}", "mine", READ),
    ("/customers/{int:customer_id}", "theirs", _hidden_from_limited(READ)),
    ("/customers/{int:customer_id}/history", "mine", READ),
    ("/customers/{int:customer_id}/history", "theirs", _hidden_from_limited(READ)),
    ("/customers/{int:customer_id}/timeline", "mine", READ),
    ("/customers/{int:customer_id}/timeline", "theirs", _hidden_from_limited(READ)),
    ("/customers/{int:customer_id}/personal-data", "mine", OWNER_ONLY),
    ("/customers/{int:customer_id}/personal-data", "theirs", OWNER_ONLY),
    ("/customers/{int:customer_id}/contacts", "mine", READ),
    ("/customers/{int:customer_id}/contacts", "theirs", _hidden_from_limited(READ)),
    ("/customers/contacts/{int:contact_id}", "mine", READ),
    ("/customers/contacts/{int:contact_id}", "theirs", _hidden_from_limited(READ)),
    ("/customers/{int:customer_id}/addresses", "mine", READ),
    ("/customers/{int:customer_id}/addresses", "theirs", _hidden_from_limited(READ)),
    ("/customers/addresses/{int:address_id}", "mine", READ),
    ("/customers/addresses/{int:address_id}", "theirs", _hidden_from_limited(READ)),
    ("/products", "", READ),
    ("/products/{int:product_id}", "mine", READ),
    ("/orders", "", READ),
    ("/orders/lead-times?date_from=2024-01-01&date_to=2024-12-31", "", READ),
    ("/orders/lead-times/late?date_from=2024-01-01&date_to=2024-12-31", "", READ),
    ("/orders/{int:order_id}", "mine", READ),
    ("/orders/{int:order_id}", "theirs", _hidden_from_limited(READ)),
    ("/orders/{int:order_id}/payments", "mine", READ),
    ("/orders/{int:order_id}/payments", "theirs", _hidden_from_limited(READ)),
    ("/events", "", READ),
    (
        "/events/plan?kind=fair&location=Plaza%20Mayor&start_date=2025-06-10&duration_days=2",
        "",
        READ,
    ),
    ("/events/{int:event_id}", "mine", READ),
    ("/events/{int:event_id}/sales", "mine", READ),
    ("/events/{int:event_id}/comparison", "mine", READ),
    ("/events/{int:event_id}/plan", "mine", READ),
    ("/webhooks", "", OWNER_ONLY),
    ("/webhooks/events", "", OWNER_ONLY),
    ("/webhooks/deliveries", "", OWNER_ONLY),
    ("/webhooks/{int:subscription_id}/deliveries", "mine", OWNER_ONLY),
    ("/analytics/scores", "", READ),
    ("/analytics/customers/{int:customer_id}/scores", "mine", READ),
    ("/analytics/customers/{int:customer_id}/scores", "theirs", _hidden_from_limited(READ)),
    ("/analytics/customers/{int:customer_id}/ladder", "mine", READ),
    ("/analytics/customers/{int:customer_id}/ladder", "theirs", _hidden_from_limited(READ)),
    ("/analytics/runs", "", READ),
    ("/analytics/runs/latest", "", READ),
    ("/analytics/runs/{int:run_id}", "mine", READ),
    # Bruno's import: only he and the owner follow it
    ("/imports/runs/{int:run_id}", "theirs", IMPORTERS),
    ("/opportunities", "", READ),
    ("/opportunities?customer={int:customer_id}", "theirs", READ),
    ("/opportunities/{int:opportunity_id}", "mine", READ),
    ("/opportunities/{int:opportunity_id}", "theirs", _hidden_from_limited(READ)),
    ("/stages", "", READ),
    ("/lost-reasons", "", READ),
    ("/contact-limits", "", READ),
    ("/activities", "", READ),
    ("/activities/{int:activity_id}", "mine", READ),
    ("/activities/{int:activity_id}", "theirs", _hidden_from_limited(READ)),
    ("/interactions", "", READ),
    ("/interactions/{int:interaction_id}", "mine", READ),
    ("/interactions/{int:interaction_id}", "theirs", _hidden_from_limited(READ)),
    ("/notes", "", READ),
    ("/notes/{int:note_id}", "mine", READ),
    ("/notes/{int:note_id}", "theirs", _hidden_from_limited(READ)),
    # A campaign on both their customers: its members and a segment's, as each may see.
    ("/segments", "", READ),
    ("/segments/{int:segment_id}", "mine", READ),
    ("/segments/{int:segment_id}/members", "mine", READ),
    ("/campaigns", "", READ),
    ("/campaigns/{int:campaign_id}", "mine", READ),
    ("/campaigns/{int:campaign_id}/members", "mine", READ),
    ("/campaigns/{int:campaign_id}/results", "mine", READ),
]

# The main pages: (URL name and any query, the book's record its argument is, statuses).
PAGE_READ = READ | {"anonymous": 302}
PAGES: list[tuple[str, str, dict]] = [
    ("dashboard", "", PAGE_READ),
    ("customers:list", "", PAGE_READ),
    ("customers:export?format=csv", "", PAGE_READ),
    ("customers:duplicates", "", PAGE_READ),
    ("customers:detail", "mine", PAGE_READ),
    ("customers:detail", "theirs", _hidden_from_limited(PAGE_READ)),
    ("orders:list", "", PAGE_READ),
    ("orders:export?format=csv", "", PAGE_READ),
    ("orders:owing", "", PAGE_READ),
    ("orders:late", "", PAGE_READ),
    ("orders:detail", "mine", PAGE_READ),
    ("orders:detail", "theirs", _hidden_from_limited(PAGE_READ)),
    ("analytics:dashboard", "", PAGE_READ),
    ("analytics:scores", "", PAGE_READ),
    ("analytics:score_export?format=csv", "", PAGE_READ),
    ("events:list", "", PAGE_READ),
    ("campaigns:campaign_list", "", PAGE_READ),
    ("campaigns:segment_list", "", PAGE_READ),
]


def _api_get_routes() -> set[str]:
    """Every GET route the API serves, as ``/prefix/path`` with its converters."""
    import clientela.urls  # noqa: F401  (mounts the routers)

    return {
        prefix + path
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        if "GET" in operation.methods
    }


def test_the_matrix_lists_every_get_route_of_the_api():
    listed = {path.split("?")[0] for path, _record, _expected in API_ROUTES}
    assert listed == _api_get_routes()


@pytest.fixture
def book(settings, tmp_path, owner, sales):
    """Ana (``sales``) and Bruno, each with a customer and orders, Bruno's far larger, an
    opportunity, a visit, a call and a note; an analysis of them, an event, a webhook,
    a campaign on both customers, and an import Bruno uploaded."""
    settings.DATA_DIR = tmp_path / "data"
    bruno = UserFactory(username="bruno", first_name="Beto", role=Role.SALES)
    records = {}
    for who, seller, amount, name in (
        ("mine", sales, 100, "Café de Ana"),
        ("theirs", bruno, "98765.43", "Zapatería Bruno"),
    ):
        customer = CustomerFactory(
            name=name,
            owner=seller,
            contacts=[{"name": f"Contacto {name.split()[-1]}"}],
            addresses=[{"street": f"Calle {name.split()[-1]}", "city": "Puebla"}],
        )
        orders = purchases_create(customer, [("2024-10-01", amount), ("2024-11-01", amount)])
        records[who] = {
            "customer_id": customer.pk,
            "contact_id": customer.contacts.get().pk,
            "address_id": customer.addresses.get().pk,
            "order_id": orders[0].pk,
        }
    run = analysis_run(actor=None, as_of=date(2024, 12, 31))
    event = EventFactory()
    records["mine"] |= {
        "run_id": run.pk,
        "event_id": event.pk,
        "product_id": ProductFactory().pk,
        "subscription_id": webhook_subscription_create(
            actor=owner, url="https://example.mx/hook", events=["customer.created"]
        ).pk,
    }
    # Relationship work with each: Bruno's deal is worth as much as his orders.
    for who, seller, value in (("mine", sales, "100"), ("theirs", bruno, "98765.43")):
        customer = Customer.objects.get(pk=records[who]["customer_id"])
        records[who] |= {
            "opportunity_id": opportunity_create(
                actor=None, customer=customer, title=f"Trato {customer.name}", value=Decimal(value)
            ).pk,
            "activity_id": activity_plan(
                actor=None,
                kind="visit",
                subject=f"Visita {customer.name}",
                due_at=timezone.now() + timedelta(days=1),
                customer=customer,
                owner=seller,
            ).pk,
            "interaction_id": interaction_record(
                actor=None,
                customer=customer,
                channel="phone",
                direction="inbound",
                subject=f"Llamada {customer.name}",
            ).pk,
            "note_id": note_add(actor=None, customer=customer, text=f"Nota {customer.name}").pk,
        }
    campaign = campaign_launch(
        actor=owner,
        campaign=campaign_draft(owner, [{"field": "city", "op": "in", "value": ["Puebla"]}]),
    )
    records["mine"] |= {"segment_id": campaign.segment_id, "campaign_id": campaign.pk}
    upload = csv_upload([["Nombre", "Correo", "RFC"], ["Nueva", "nueva@example.mx", ""]])
    records["theirs"]["run_id"] = import_run_upload(actor=bruno, kind="customers", upload=upload).pk
    return records


@pytest.fixture
def reader(client, settings, api_headers, request):
    """``reader(role)`` → (the client signed in as that role, the API headers)."""

    def sign_in(role: str):
        settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = role == "limited"
        if role == "anonymous":
            return {}
        user = request.getfixturevalue("sales" if role == "limited" else role)
        client.force_login(user)
        return api_headers(user)

    return sign_in


def _filled(path: str, values: dict) -> str:
    for name, value in values.items():
        path = path.replace(f"{{int:{name}}}", str(value))
    assert "{" not in path, path
    return path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_api_as_the_table_says(client, book, reader, role):
    headers = reader(role)
    answers = {}
    for path, record, expected in API_ROUTES:
        url = "/api/v1" + _filled(path, book.get(record, {}))
        response = client.get(url, headers=headers)
        answers[(path, record)] = response.status_code
        assert response.status_code == expected[role], (url, response.content[:300])
        if role == "limited" and response.status_code == 200:
            body = response.content.decode()
            assert not [mark for mark in THEIRS if mark in body], url
    assert len(answers) == len(API_ROUTES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_main_pages_as_the_table_says(client, book, reader, role):
    reader(role)
    for name, record, expected in PAGES:
        key = "customer_id" if name.startswith("customers") else "order_id"
        name, _mark, query = name.partition("?")
        url = reverse(name, args=[book[record][key]] if record else []) + _mark + query
        response = client.get(url)
        assert response.status_code == expected[role], url
        if role == "limited" and response.status_code == 200:
            body = b"".join(response) if response.streaming else response.content
            assert not [mark for mark in THEIRS if mark in body.decode()], url


def test_the_owner_reads_the_business_figures_the_limited_salesperson_does_not(
    client, book, reader
):
    run = f"/api/v1/analytics/runs/{book['mine']['run_id']}"
    owners = client.get(run, headers=reader("owner")).json()["figures"]
    anas = client.get(run, headers=reader("limited")).json()["figures"]

    assert owners["total_revenue"] == 197730.86
    assert anas["period_revenue"] == 200.0 and "total_revenue" not in anas

"""Creating many customers at once: the same records as one by one, in few queries."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clientela.core.models import Role
from clientela.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerTag,
    DuplicateCandidate,
    Tag,
)
from clientela.customers.services import (
    CustomerRowInvalid,
    customer_create,
    customers_bulk_check,
    customers_bulk_create,
    customers_bulk_write,
)
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

REASON = "Imported from clientes.xlsx"
ROWS = [
    {
        "name": "Panadería Gómez",
        "legal_name": "Panadería Gómez S.A. de C.V.",
        "tax_id": "gode-561231-gr8",
        "emails": ["Pedidos@GOMEZ.mx", "pedidos@gomez.mx", "facturas@gomez.mx"],
        "phones": ["222 555 0101", "+52 222 555 0101"],
        "tags": ["Mayoreo", "mayoreo", "Pan dulce"],
        "contacts": [
            {"name": "Rosa Gómez", "role": "Compras", "email": "Rosa@gomez.mx"},
            {"name": "ana Ruiz", "phone": "222 555 0109", "is_primary": True},
        ],
        "addresses": [
            {"street": "Av. Reforma 120", "city": "Puebla", "postal_code": "72000 "},
            {"label": "Bodega", "street": "Calle 5 Sur 900", "city": "Puebla"},
        ],
        "notes": "Entrega antes de las 8",
    },
    {
        "kind": "person",
        "name": "Lupita Hernández",
        "phones": ["222 555 0199"],
        "tags": ["Expo 2024"],
        "addresses": [{"street": "Calle Juárez 10", "city": "Cholula", "postal_code": "72760"}],
        "contacts": [{"name": "Lupita"}],
    },
    {
        # looks like the row above: a similar name at a similar street, same postal code
        "name": "Lupita Hernandez",
        "emails": ["lupita@example.mx"],
        "addresses": [{"street": "C. Juarez 10", "city": "Cholula", "postal_code": "72760"}],
    },
]


class _Undo(Exception):
    """Raised to roll back what a block wrote once its outcome is read."""


def _history(model, **filters) -> list[tuple]:
    return [
        (h.history_type, h.history_user_id, h.history_change_reason)
        for h in model.history.filter(**filters).order_by("history_id")
    ]


def _records(customers: list[Customer]) -> list[dict]:
    """Everything the catalog holds of ``customers``, ids replaced by names."""
    names = dict(Customer.objects.values_list("pk", "name"))
    records = []
    for customer in customers:
        customer = Customer.objects.get(pk=customer.pk)
        pk = customer.pk
        fields = {
            f.attname: getattr(customer, f.attname)
            for f in Customer._meta.concrete_fields
            if f.attname not in {"id", "created_at", "updated_at"}
        }
        candidates = DuplicateCandidate.objects.filter(customer=pk) | (
            DuplicateCandidate.objects.filter(other=pk)
        )
        deliveries = WebhookDelivery.objects.filter(payload__data__id=pk)
        records.append(
            {
                "fields": fields,
                "emails": list(customer.emails.values_list("email", "position")),
                "phones": list(customer.phones.values_list("number", "position")),
                "tags": list(customer.customer_tags.order_by("pk").values_list("tag__name")),
                "contacts": list(
                    customer.contacts.values_list(
                        "name", "role", "email", "phone", "is_primary", "version"
                    )
                ),
                "addresses": list(
                    customer.addresses.values_list(
                        "label", "street", "city", "postal_code", "country", "is_default"
                    )
                ),
                "history": {
                    "customer": _history(Customer, id=pk),
                    **{
                        model.__name__: _history(model, customer_id=pk)
                        for model in (CustomerEmail, CustomerPhone, CustomerTag, Contact, Address)
                    },
                },
                "duplicates": sorted(
                    (
                        names[c.other_id if c.customer_id == pk else c.customer_id],
                        c.reasons,
                        c.score,
                    )
                    for c in candidates
                ),
                "webhooks": [
                    {
                        **{
                            k: v
                            for k, v in d.payload["data"].items()
                            if k not in {"id", "created_at"}
                        },
                        "subscription": d.subscription_id,
                        "event": d.event,
                    }
                    for d in deliveries
                ],
            }
        )
    return records


def _outcome(create) -> tuple[list[dict], list[str]]:
    """The records ``create()`` makes, and the tags there are then; all undone after."""
    try:
        with transaction.atomic():
            records = _records(create())
            tags = sorted(Tag.objects.values_list("name", flat=True))
            raise _Undo
    except _Undo:
        return records, tags


@pytest.fixture
def catalog(owner):
    """A customer the new rows resemble, a tag they reuse and a webhook subscription."""
    webhook_subscription_create(
        actor=owner, url="https://example.mx/hook", events=[CustomerEvent.CREATED]
    )
    CustomerFactory(
        name="Panaderia Gomez",
        phones=["222 555 0101"],
        tags=["MAYOREO"],
        addresses=[{"street": "Avenida Reforma 120", "city": "Puebla", "postal_code": "72000"}],
    )


def test_bulk_create_makes_what_customer_create_makes_row_by_row(owner, catalog):
    one_by_one = _outcome(
        lambda: [customer_create(actor=owner, reason=REASON, **row) for row in ROWS]
    )

    at_once = _outcome(lambda: customers_bulk_create(actor=owner, reason=REASON, rows=ROWS))

    assert at_once == one_by_one
    records, tags = at_once
    # the comparison compares something: what customer_create made
    gomez, lupita, _lupita_again = records
    assert gomez["emails"] == [("pedidos@gomez.mx", 0), ("facturas@gomez.mx", 1)]
    assert gomez["fields"]["tax_id"] == "GODE561231GR8"
    assert gomez["fields"]["search_document"] == (
        "panaderia gomez | panaderia gomez s a de c v | ana ruiz | rosa gomez | gode561231gr8"
        " | pedidos@gomez.mx | facturas@gomez.mx | rosa@gomez.mx | 522225550101 | 522225550109"
    )
    assert gomez["contacts"][0][:1] == ("ana Ruiz",)  # the main contact comes first
    assert gomez["addresses"][0][-1] and not gomez["addresses"][1][-1]
    assert ("+", owner.pk, REASON) in gomez["history"]["CustomerTag"]
    assert [d[0] for d in gomez["duplicates"]] == ["Panaderia Gomez"]
    assert gomez["duplicates"][0][1] == ["name_address", "phone"]
    assert [d[0] for d in lupita["duplicates"]] == ["Lupita Hernandez"]
    assert lupita["webhooks"][0]["phones"] == ["+522225550199"]
    assert tags == ["Expo 2024", "MAYOREO", "Pan dulce"]


def test_a_refused_row_is_named_with_customer_create_s_messages_and_nothing_is_written(owner):
    rows = [
        {"name": "Café Olé"},
        {"name": "x" * 201, "emails": ["hola@"], "addresses": [{"street": "Av. Juárez 10"}]},
    ]
    with pytest.raises(ValidationError) as expected:
        customer_create(actor=owner, **rows[1])

    with pytest.raises(CustomerRowInvalid) as refused:
        customers_bulk_create(actor=owner, rows=rows)

    assert refused.value.index == 1
    assert refused.value.message_dict == expected.value.message_dict
    assert set(refused.value.message_dict) == {"name", "emails"}
    assert not Customer.objects.exists()


def test_an_address_without_a_city_is_refused_as_customer_create_refuses_it(owner):
    row = {"name": "Café Olé", "addresses": [{"street": "Av. Juárez 10"}]}
    with pytest.raises(ValidationError) as expected:
        customer_create(actor=owner, **row)

    with pytest.raises(CustomerRowInvalid) as refused:
        customers_bulk_create(actor=owner, rows=[row])

    assert (
        refused.value.message_dict
        == expected.value.message_dict
        == {"addresses": expected.value.messages}
    )
    assert not Customer.objects.exists()


def test_a_salesperson_limited_to_own_customers_owns_those_created(settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    seller = UserFactory(role=Role.SALES)

    created = customers_bulk_create(actor=seller, rows=[{"name": "Café Olé", "owner": None}])

    assert Customer.objects.get(pk=created[0].pk).owner == seller


def test_the_queries_do_not_grow_with_the_rows(owner, catalog):
    def rows(count: int) -> list[dict]:
        return [
            {
                "name": f"Tienda {n}",
                "tax_id": "",
                "emails": [f"tienda{n}@example.mx"],
                "phones": [f"222 555 {n:04d}"],
                "tags": ["Mayoreo", f"Zona {n % 2}"],
                "contacts": [{"name": f"Encargado {n}"}],
                "addresses": [{"street": f"Calle {n}", "city": "Puebla", "postal_code": "72000"}],
            }
            for n in range(count)
        ]

    queries = []
    for count in (2, 20):
        with CaptureQueriesContext(connection) as captured:
            customers_bulk_create(actor=owner, reason=REASON, rows=rows(count))
        queries.append(len(captured))
        Customer.objects.filter(name__startswith="Tienda").delete()
        Tag.objects.filter(name__startswith="Zona").delete()

    assert queries[0] == queries[1]
    assert WebhookDelivery.objects.filter(payload__data__name__startswith="Tienda").count() == 22


def test_customers_checked_then_written_are_refused_if_their_owner_went_meanwhile(owner):
    seller = UserFactory(role=Role.SALES)
    checked = customers_bulk_check(
        actor=owner, rows=[{"name": "Café Olé"}, {"name": "Panadería Gómez", "owner": seller}]
    )
    seller.delete()

    with pytest.raises(CustomerRowInvalid) as refused:
        customers_bulk_write(actor=owner, checked=checked)

    assert refused.value.index == 1 and "owner" in refused.value.message_dict
    assert not Customer.objects.exists()

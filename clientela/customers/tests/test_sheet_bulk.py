"""A customer import writes its new customers a chunk at a time, in bulk, as the catalog
would one by one: history, search text, duplicates and webhooks included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.core.models import Role
from clientela.customers.models import Customer, CustomerEvent, DuplicateCandidate
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.sheets.importing import ImportRefused, sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

HEADERS = [
    "RFC",
    "Nombre",
    "Correo",
    "Teléfono",
    "Etiquetas",
    "Dirección",
    "Ciudad",
    "CP",
    "Contacto",
]


def _import(tmp_path, rows, actor, name="clientes.csv"):
    path = tmp_path / name
    path.write_text(
        "\n".join(";".join(cells) for cells in [HEADERS, *rows]) + "\n", encoding="utf-8"
    )
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    return sheet_import(kind=CUSTOMERS, actor=actor, sheet=sheet, columns=columns, source=name)


def test_new_customers_get_their_history_search_text_duplicates_and_webhooks(tmp_path, owner):
    webhook_subscription_create(
        actor=owner, url="https://example.mx/hook", events=[CustomerEvent.CREATED]
    )
    gomez = CustomerFactory(
        name="Panadería Gómez",
        addresses=[{"street": "Av. Reforma 120", "city": "Puebla", "postal_code": "72000"}],
    )
    rows = [
        [
            "",
            "Panaderia Gomez",
            "ventas@gomez.mx",
            "",
            "Pan",
            "Avenida Reforma 120",
            "Puebla",
            "72000",
            "",
        ],
        ["", "Café Olé", "hola@cafeole.mx", "222 555 0101", "", "", "", "", "Lupita Ruiz"],
    ]

    plan = _import(tmp_path, rows, owner)

    assert plan.counts["create"] == 2
    twin, cafe = Customer.objects.exclude(pk=gomez.pk).order_by("pk")
    for model_history in (
        cafe.history,
        cafe.emails.get().history,
        cafe.phones.get().history,
        cafe.contacts.get().history,
        twin.addresses.get().history,
        twin.customer_tags.get().history,
    ):
        record = model_history.get()
        assert (record.history_user, record.history_change_reason) == (
            owner,
            "Imported from clientes.csv",
        )
    assert cafe.search_document == "cafe ole | lupita ruiz | hola@cafeole.mx | 522225550101"
    pair = DuplicateCandidate.objects.get()
    assert (pair.customer_id, pair.other_id, pair.reasons) == (gomez.pk, twin.pk, ["name_address"])
    delivery = WebhookDelivery.objects.get(payload__data__id=cafe.pk)
    assert delivery.payload["data"]["emails"] == ["hola@cafeole.mx"]


def test_a_salesperson_limited_to_own_customers_owns_what_they_import(tmp_path, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    seller = UserFactory(role=Role.SALES)

    _import(tmp_path, [["", "Café Olé", "", "", "", "", "", "", ""]], seller)

    assert Customer.objects.get().owner == seller


def test_the_queries_of_an_import_do_not_grow_with_its_rows(tmp_path, owner):
    def rows(count: int) -> list[list[str]]:
        return [
            [
                "",
                f"Tienda {count}-{n}",
                f"t{count}.{n}@example.mx",
                f"222 55{count:02d} {n:03d}",
                f"Lote {count}",
                f"Calle {max(n, 1)}",  # the first two alike: one pair of possible duplicates
                "Puebla",
                f"72{max(n, 1):03d}",
                f"Encargado {n}",
            ]
            for n in range(count)
        ]

    queries = []
    for count in (5, 30):
        with CaptureQueriesContext(connection) as captured:
            plan = _import(tmp_path, rows(count), owner)
        assert plan.counts["create"] == count
        queries.append(len(captured))

    assert queries[0] == queries[1]


def test_a_key_of_an_earlier_chunk_is_refused_again_in_a_later_one(tmp_path, owner, monkeypatch):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 2)
    rows = [["", f"Cliente {n}", f"c{n}@example.mx", "", "", "", "", "", ""] for n in range(5)]
    rows.append(["", "Cliente 1 (otra vez)", "C1@example.mx", "", "", "", "", "", ""])

    with pytest.raises(ImportRefused) as refused:
        _import(tmp_path, rows, owner)

    assert [(p.row, p.message) for p in refused.value.plan.problems] == [
        (7, "Row 3 already has this e-mail; one customer takes one row.")
    ]

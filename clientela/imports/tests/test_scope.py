"""A salesperson limited to their own customers imports as they may: a row matching
another salesperson's customer is refused, in the dry run and the import, from the API
and the command line, without naming or numbering that customer."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.imports.tests.uploads import csv_upload
from clientela.orders.sheet.orders import ORDER_FIELDS, ORDERS
from clientela.orders.sheet.payments import PAYMENT_FIELDS, PAYMENTS
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.sheets.importing import ImportRefused, sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

HIDDEN = "This row matches a customer you may not change."
THEIR_RFC = "GODE561231GR8"
HEADERS = ["Código", "RFC", "Nombre", "Correo", "Dirección", "Ciudad", "CP"]


@pytest.fixture
def book(settings, tmp_path):
    """Two salespeople, each with a customer, salespeople limited to their own."""
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    mine, theirs = UserFactory(role=Role.SALES), UserFactory(role=Role.SALES)
    return {
        "me": mine,
        "mine": CustomerFactory(name="Café Olé", owner=mine, emails=["hola@cafeole.mx"]),
        "theirs": CustomerFactory(
            name="Panadería Gómez",
            owner=theirs,
            tax_id=THEIR_RFC,
            emails=["ventas@gomez.mx"],
            addresses=[{"street": "Av. Reforma 120", "city": "Puebla", "postal_code": "72000"}],
        ),
    }


def _file(tmp_path, headers, rows, name="clientes.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def _customer_rows(book):
    theirs = book["theirs"]
    return [
        [f"#{theirs.pk}", "", "Otra", "", "", "", ""],  # their number
        ["", THEIR_RFC, "Otra", "", "", "", ""],  # their tax id
        ["", "", "Otra", "ventas@gomez.mx", "", "", ""],  # their e-mail
        ["", "", "Café Olé", "hola@cafeole.mx, pan@cafeole.mx", "", "", ""],  # mine: updated
        # like theirs (a similar name at a similar address): created, not flagged to me
        ["", "", "Panaderia Gomez", "", "Avenida Reforma 120", "Puebla", "72000"],
    ]


def _leaks(plan: dict, theirs: Customer) -> bool:
    """Whether the report's messages or look-alikes name or number ``theirs`` (the cells
    of the file are the user's own words)."""
    said = [problem["message"] for problem in plan["problems"]] + [
        f"#{similar['id']} {similar['name']}" for similar in plan["similar"]
    ]
    return any(theirs.name in text or str(theirs.pk) in text for text in said)


def test_a_dry_run_refuses_rows_matching_anothers_customer_without_naming_it(tmp_path, book):
    path = _file(tmp_path, HEADERS, _customer_rows(book))
    sheet = open_sheet(path)

    plan = sheet_plan(
        CUSTOMERS, sheet, match_columns(sheet.headers, CUSTOMER_FIELDS), user=book["me"]
    )

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 3}
    assert [(p.row, p.message) for p in plan.problems] == [(2, HIDDEN), (3, HIDDEN), (4, HIDDEN)]
    assert plan.similar == []
    assert not _leaks(plan.to_json(), book["theirs"])


def test_the_owner_plans_the_same_rows_against_every_customer(tmp_path, book, owner):
    path = _file(tmp_path, HEADERS, _customer_rows(book))
    sheet = open_sheet(path)

    plan = sheet_plan(CUSTOMERS, sheet, match_columns(sheet.headers, CUSTOMER_FIELDS), user=owner)

    assert plan.counts == {"create": 1, "update": 4, "unchanged": 0, "refused": 0}
    assert [(s.row, s.target) for s in plan.similar] == [(6, book["theirs"].pk)]


def test_the_import_refuses_them_and_changes_nobody_elses_customer(tmp_path, book):
    path = _file(tmp_path, HEADERS, _customer_rows(book))
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)

    with pytest.raises(ImportRefused) as refused:
        sheet_import(kind=CUSTOMERS, actor=book["me"], sheet=sheet, columns=columns, source="c")
    plan = sheet_import(
        kind=CUSTOMERS,
        actor=book["me"],
        sheet=open_sheet(path),
        columns=columns,
        source="c",
        skip_invalid=True,
    )

    assert {p.message for p in refused.value.plan.problems} == {HIDDEN}
    assert plan.counts["refused"] == 3 and plan.similar == []
    theirs = Customer.objects.get(pk=book["theirs"].pk)
    assert (theirs.name, theirs.version) == ("Panadería Gómez", book["theirs"].version)
    assert Customer.objects.filter(name="Otra").count() == 0


def test_the_api_dry_run_names_no_other_customer(client, api_headers, book):
    rows = [[cell for cell in row] for row in _customer_rows(book)]
    upload = csv_upload([HEADERS, *rows])

    response = client.post(
        "/api/v1/imports/customers/dry-run", {"file": upload}, headers=api_headers(book["me"])
    )

    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["refused"] == 3
    assert {p["message"] for p in body["problems"]} == {HIDDEN}
    assert not _leaks(body, book["theirs"])


def test_the_command_line_plans_and_imports_as_its_user(tmp_path, book, support):
    path = _file(tmp_path, HEADERS, _customer_rows(book))
    out = StringIO()

    with pytest.raises(SystemExit):
        call_command(
            "import",
            "customers",
            str(path),
            "--dry-run",
            f"--user={book['me'].username}",
            stdout=out,
        )
    with pytest.raises(CommandError, match="may not import customers"):
        call_command("import", "customers", str(path), f"--user={support.username}")

    assert out.getvalue().count(HIDDEN) == 3
    assert "Gómez" not in out.getvalue() and f"#{book['theirs'].pk}," not in out.getvalue()


def test_an_order_for_anothers_customer_is_refused_without_naming_it(tmp_path, book):
    ProductFactory(sku="BOL-01", unit_price=Decimal("10.00"))
    OrderFactory(
        customer=book["theirs"],
        reference="F-9",
        lines=[{"product": ProductFactory(), "quantity": 1}],
    )
    headers = ["Folio", "RFC", "Cliente", "Fecha", "Fecha de entrega", "Producto", "Cantidad"]
    rows = [
        ["F-1", THEIR_RFC, "", "2024-03-01", "2024-03-09", "BOL-01", "1"],
        ["F-2", "", "Panadería Gómez", "2024-03-01", "2024-03-09", "BOL-01", "1"],
        ["F-9", "", "", "", "", "BOL-01", "1"],  # their order
        ["F-3", "", "Café Olé", "2024-03-01", "2024-03-09", "BOL-01", "1"],
    ]
    sheet = open_sheet(_file(tmp_path, headers, rows, "pedidos.csv"))

    plan = sheet_plan(ORDERS, sheet, match_columns(sheet.headers, ORDER_FIELDS), user=book["me"])

    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "refused": 3}
    assert [(p.row, p.message) for p in plan.problems] == [(2, HIDDEN), (3, HIDDEN), (4, HIDDEN)]
    assert not _leaks(plan.to_json(), book["theirs"])


def test_a_payment_of_anothers_customers_order_is_refused_without_its_balance(tmp_path, book):
    OrderFactory(
        customer=book["theirs"],
        reference="F-9",
        lines=[{"product": ProductFactory(unit_price=Decimal("10.00")), "quantity": 100}],
    )
    rows = [["F-9", "2024-03-05", "2000", "Efectivo", ""]]
    path = _file(
        tmp_path, ["Pedido", "Fecha de pago", "Importe", "Forma de pago", "Referencia"], rows
    )
    sheet = open_sheet(path)

    plan = sheet_plan(
        PAYMENTS, sheet, match_columns(sheet.headers, PAYMENT_FIELDS), user=book["me"]
    )

    assert [(p.row, p.column, p.message) for p in plan.problems] == [(2, "Pedido", HIDDEN)]

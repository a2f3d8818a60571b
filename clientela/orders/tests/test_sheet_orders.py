"""Importing orders, one row per line: grouping, matching, updates, all or nothing."""

import csv
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderChange, OrderStatus
from clientela.orders.services import product_deactivate
from clientela.orders.sheet.orders import ORDER_FIELDS, ORDERS, order_chunks
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.sheets.importing import sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

HEADERS = [
    "Folio",
    "RFC",
    "Cliente",
    "Fecha",
    "Fecha de entrega",
    "Estado",
    "Entregado el",
    "Producto",
    "Cantidad",
    "Precio",
    "Descuento",
]
GOMEZ_RFC = "GODE561231GR8"
# Two lines of a delivered order and one of a confirmed one.
ROWS = [
    ["F-1", GOMEZ_RFC, "", "01/03/2024", "05/03/2024", "Entregado", "06/03/2024", "BOL-01", "100", "", "5"],
    ["F-1", "", "", "", "", "", "", "con-vai", "12", "13.50", ""],
    ["F-2", "", "Café Olé", "2024-03-02", "2024-03-09", "", "", "BOL-01", "40", "", ""],
]  # fmt: skip


def _file(tmp_path, rows, headers=HEADERS, name="pedidos.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def _plan(path):
    """The planned rows of ``path``, with the plan's counts and problems."""
    sheet = open_sheet(path)
    rows = [
        row
        for chunk in order_chunks(sheet, match_columns(sheet.headers, ORDER_FIELDS))
        for row in chunk
    ]
    plan = Plan("orders", sheet.headers)
    plan.add(rows)
    plan.rows = rows
    return plan


def _import(path, owner, **options):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, ORDER_FIELDS)
    return sheet_import(
        kind=ORDERS, actor=owner, sheet=sheet, columns=columns, source=path.name, **options
    )


def _messages(plan):
    return [(p.row, p.column, p.value, p.message) for p in plan.problems]


@pytest.fixture
def book(db):
    return {
        "gomez": CustomerFactory(name="Panadería Gómez", tax_id=GOMEZ_RFC),
        "cafe": CustomerFactory(name="Café Olé", external_id="C-7", emails=["hola@cafeole.mx"]),
        "bolillo": ProductFactory(sku="BOL-01", name="Bolillo", unit_price=Decimal("3.50")),
        "concha": ProductFactory(sku="CON-VAI", name="Concha", unit_price=Decimal("14.00")),
    }


def test_rows_of_an_order_make_one_order_walked_to_its_status(tmp_path, owner, book):
    plan = _import(_file(tmp_path, ROWS), owner)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    delivered = Order.objects.get(reference="F-1")
    assert delivered.customer == book["gomez"]
    assert (delivered.order_date, delivered.due_date) == (date(2024, 3, 1), date(2024, 3, 5))
    assert (delivered.status, delivered.delivered_on) == ("delivered", date(2024, 3, 6))
    assert delivered.production_finished_on == date(2024, 3, 6)  # no date of its own
    lines = [
        (line.product.sku, line.quantity, line.unit_price, line.discount_percent)
        for line in delivered.lines.all()
    ]
    # the price defaults to the product's, the discount to none
    assert lines == [
        ("BOL-01", Decimal(100), Decimal("3.50"), Decimal(5)),
        ("CON-VAI", Decimal(12), Decimal("13.50"), Decimal(0)),
    ]
    assert delivered.total == Decimal("494.50")  # 100 × 3.50 × 0.95 + 12 × 13.50
    confirmed = Order.objects.get(reference="F-2")
    assert (confirmed.customer, confirmed.status) == (book["cafe"], "confirmed")
    last = delivered.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (owner, "Imported from pedidos.csv")


def test_importing_the_same_file_again_changes_nothing(tmp_path, owner, book):
    path = _file(tmp_path, ROWS)
    _import(path, owner)

    again = _import(path, owner)

    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}
    assert Order.objects.count() == 2
    assert not OrderChange.objects.exists()


@pytest.mark.parametrize(
    ("tax_id", "name", "matched"),
    [
        ("gode-561231-gr8", "Otro nombre", "gomez"),  # the tax id decides before the name
        ("", "CAFE OLE", "cafe"),  # the exact name, case and accents aside
    ],
)
def test_the_customer_is_found_by_tax_id_else_by_name(tmp_path, book, tax_id, name, matched):
    row = ["F-9", tax_id, name, "2024-03-01", "2024-03-02", "", "", "BOL-01", "1", "", ""]

    plan = _plan(_file(tmp_path, [row]))

    assert plan.counts["create"] == 1
    assert plan.rows[0].changes["customer"] == book[matched].pk


def test_the_general_publics_rfc_finds_the_customer_by_name_and_alone_is_refused(tmp_path, book):
    # given walk-in buyers invoiced to the RFC of the general public, as Mexican sales
    # exports have them, one of them a customer of the book
    CustomerFactory(name="Mostrador", tax_id="XAXX010101000")
    rows = [
        ["F-8", "XAXX010101000", "Café Olé", "2024-03-01", "2024-03-02", "", "", "BOL-01", "1", "", ""],
        ["F-9", "XAXX010101000", "", "2024-03-01", "2024-03-02", "", "", "BOL-01", "1", "", ""],
    ]  # fmt: skip

    plan = _plan(_file(tmp_path, rows))

    # then the name finds the customer, and the RFC alone names nobody
    assert plan.rows[0].changes["customer"] == book["cafe"].pk
    assert _messages(plan) == [
        (
            3,
            "RFC",
            "XAXX010101000",
            "XAXX010101000 is a tax id many people share: it names no customer. Give the "
            "customer's code, e-mail or name too.",
        )
    ]


def test_the_customer_is_found_by_code_or_e_mail(tmp_path, book):
    headers = ["Pedido", "Código de cliente", "Correo", "Fecha", "Fecha de entrega", "SKU", "Qty"]
    rows = [
        ["P1", "C-7", "", "2024-03-01", "2024-03-02", "BOL-01", "1"],
        ["P2", "", "HOLA@cafeole.mx", "2024-03-01", "2024-03-02", "BOL-01", "1"],
    ]

    plan = _plan(_file(tmp_path, rows, headers))

    assert [row.changes["customer"] for row in plan.rows] == [book["cafe"].pk] * 2


def test_a_customer_that_is_missing_or_ambiguous_is_refused(tmp_path, book):
    twins = [CustomerFactory(name="Tienda Lupita") for _ in range(2)]
    rows = [
        ["F-1", "", "Nadie Conocido", "2024-03-01", "2024-03-02", "", "", "BOL-01", "1", "", ""],
        ["F-2", "", "Tienda Lupita", "2024-03-01", "2024-03-02", "", "", "BOL-01", "1", "", ""],
    ]

    plan = _plan(_file(tmp_path, rows))

    assert _messages(plan) == [
        (
            2,
            "Cliente",
            "Nadie Conocido",
            "No customer has name Nadie Conocido: add the customer first.",
        ),
        (
            3,
            "Cliente",
            "Tienda Lupita",
            f"Several customers have this name: #{twins[0].pk} Tienda Lupita, "
            f"#{twins[1].pk} Tienda Lupita. Give a tax id or customer code that tells them apart.",
        ),
    ]


def test_rows_that_disagree_or_are_refused_refuse_their_whole_order(tmp_path, book):
    rows = [
        ["F-1", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "10", "", ""],
        ["F-1", "", "", "2024-03-02", "", "", "", "CON-VAI", "1", "", ""],
        ["F-1", "", "", "", "", "", "", "PAN-999", "1", "", ""],
        ["F-2", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
        ["F-2", "", "", "", "", "", "", "BOL-01", "2", "", ""],
        ["F-3", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
    ]

    plan = _plan(_file(tmp_path, rows))

    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "refused": 5}
    assert _messages(plan) == [
        (2, "", "", "Row 3 of order F-1 is refused, so the whole order is."),
        (
            3,
            "Fecha",
            "2024-03-02",
            "Row 2 of order F-1 has 2024-03-01 in this column: the rows of an order agree on it.",
        ),
        (4, "Producto", "PAN-999", "No product has the SKU PAN-999."),
        (5, "", "", "Row 6 of order F-2 is refused, so the whole order is."),
        (
            6,
            "Producto",
            "BOL-01",
            "Row 5 of order F-2 already has BOL-01: one row per product.",
        ),
    ]


def test_the_lines_of_an_order_come_one_after_another(tmp_path, book):
    rows = [
        ["F-1", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "10", "", ""],
        ["F-2", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
        ["F-1", "", "", "", "", "", "", "CON-VAI", "1", "", ""],
    ]

    plan = _plan(_file(tmp_path, rows))

    assert _messages(plan) == [
        (
            4,
            "Folio",
            "F-1",
            "Order F-1 began at row 2: put its rows one after another.",
        )
    ]


def test_a_new_order_needs_its_dates_and_sold_products(tmp_path, book):
    product_deactivate(actor=None, product=book["concha"])
    rows = [
        ["F-1", GOMEZ_RFC, "", "", "2024-03-05", "listo", "", "CON-VAI", "1", "", ""],
        ["F-2", GOMEZ_RFC, "", "2024-03-06", "2024-03-05", "", "", "BOL-01", "1", "", "120"],
        ["F-3", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "Perdido", "", "BOL-01", "0", "", ""],
        ["#999999", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
    ]

    plan = _plan(_file(tmp_path, rows))

    assert plan.refused == 4
    assert _messages(plan) == [
        (2, "Fecha", "", "A new order needs its order date."),
        (2, "Producto", "CON-VAI", "CON-VAI is no longer sold."),
        (3, "Descuento", "120", "The discount must be between 0 and 100 per cent."),
        (
            4,
            "Estado",
            "Perdido",
            "“Perdido” is not one of: Draft, Confirmed, In production, Ready, Delivered, "
            "Cancelled.",
        ),
        (4, "Cantidad", "0", "The quantity must be more than zero."),
        (
            5,
            "Folio",
            "#999999",
            "Clientela has no order #999999 (a “#” and a number name Clientela's own orders).",
        ),
    ]


@pytest.fixture
def confirmed(book):
    """Order F-7 of Panadería Gómez, confirmed: 10 bolillos and 5 conchas."""
    order = OrderFactory(
        customer=book["gomez"],
        reference="F-7",
        lines=[
            {"product": book["bolillo"], "quantity": 10},
            {"product": book["concha"], "quantity": 5},
        ],
        status=OrderStatus.CONFIRMED,
    )
    return order


def _f7(*lines, due="2024-03-10", status="", delivered=""):
    return [
        ["F-7", GOMEZ_RFC, "", "2024-03-01", due, status, delivered, sku, quantity, "", ""]
        for sku, quantity in lines
    ]


def test_a_changed_quantity_renegotiates_the_confirmed_order(tmp_path, owner, confirmed):
    rows = _f7(("BOL-01", "10"), ("CON-VAI", "8"))

    plan = _import(_file(tmp_path, rows), owner)

    assert plan.counts == {"create": 0, "update": 1, "unchanged": 1, "refused": 0}
    confirmed.refresh_from_db()
    assert confirmed.lines.get(product__sku="CON-VAI").quantity == 8
    change = OrderChange.objects.get(order=confirmed)
    assert change.reason == "Imported from pedidos.csv"
    assert change.changes == [{"what": "quantity", "product": "CON-VAI", "old": "5", "new": "8"}]


def test_lines_added_and_left_out_and_a_new_due_date_are_applied(tmp_path, owner, confirmed):
    # conchas are left out, a new product comes; the order is moved to ready
    rows = _f7(("BOL-01", "10"), ("PAN-NEW", "3"), due="2024-03-12", status="Готов")
    ProductFactory(sku="PAN-NEW", unit_price=Decimal("20.00"))

    plan = _import(_file(tmp_path, rows), owner)

    assert plan.counts == {"create": 0, "update": 2, "unchanged": 0, "refused": 0}
    confirmed.refresh_from_db()
    assert sorted(confirmed.lines.values_list("product__sku", "quantity")) == [
        ("BOL-01", Decimal(10)),
        ("PAN-NEW", Decimal(3)),
    ]
    assert (confirmed.due_date, confirmed.status) == (date(2024, 3, 12), "ready")
    logged = OrderChange.objects.get(order=confirmed).changes
    assert [entry["what"] for entry in logged] == ["due_date", "line_added", "line_removed"]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [["F-7", "", "Café Olé", "", "", "", "", "BOL-01", "10", "", ""]],
            "Order F-7 is for customer #{gomez}; the customer of an order cannot change.",
        ),
        (
            [["F-7", "", "", "2024-02-01", "", "", "", "BOL-01", "10", "", ""]],
            "Order F-7 was ordered on 2024-03-01; the order date cannot change.",
        ),
        (
            [["F-7", "", "", "", "", "Borrador", "", "BOL-01", "10", "", ""]],
            "An order cannot go from “Confirmed” to “Draft”.",
        ),
        (
            [["F-7", "", "", "", "", "", "2099-01-01", "BOL-01", "10", "", ""]],
            "This date cannot be in the future.",
        ),
    ],
)
def test_what_an_order_cannot_change_is_refused(tmp_path, owner, book, confirmed, rows, problem):
    plan = _plan(_file(tmp_path, rows))

    assert plan.problems[0].message == problem.format(gomez=book["gomez"].pk)
    assert plan.refused == 1


def test_a_status_and_a_production_date_are_recorded(tmp_path, owner, book, confirmed):
    headers = ["Folio", "RFC", "Fecha", "Fecha de entrega", "Estado", "Producción terminada"]
    rows = [
        ["F-7", "", "", "", "Cancelado", "", "BOL-01", "10"],
        ["F-7", "", "", "", "", "", "CON-VAI", "5"],
        ["F-8", GOMEZ_RFC, "2024-03-01", "2024-03-09", "", "2024-03-04", "BOL-01", "10"],
    ]
    path = _file(tmp_path, rows, [*headers, "SKU", "Qty"])

    plan = _import(path, owner)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 1, "refused": 0}
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancel_reason) == ("cancelled", "Imported from pedidos.csv")
    assert confirmed.lines.count() == 2
    ready = Order.objects.get(reference="F-8")
    assert (ready.status, ready.production_finished_on) == ("ready", date(2024, 3, 4))


def test_a_delivered_order_can_only_have_its_dates_corrected(tmp_path, owner, confirmed):
    _import(_file(tmp_path, _f7(("BOL-01", "10"), ("CON-VAI", "5"), delivered="2024-03-11")), owner)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.delivered_on) == ("delivered", date(2024, 3, 11))

    changed = _plan(_file(tmp_path, _f7(("BOL-01", "11"), ("CON-VAI", "5"))))
    corrected = _import(
        _file(tmp_path, _f7(("BOL-01", "10"), ("CON-VAI", "5"), delivered="2024-03-12")), owner
    )

    assert changed.problems[0].message == (
        "A delivered or cancelled order can no longer be changed."
    )
    assert corrected.counts == {"create": 0, "update": 1, "unchanged": 1, "refused": 0}
    confirmed.refresh_from_db()
    assert confirmed.delivered_on == date(2024, 3, 12)


def test_a_refused_last_row_leaves_nothing_written(tmp_path, owner, book):
    rows = [*ROWS, ["F-3", GOMEZ_RFC, "", "2024-03-01", "2024-03-02", "", "", "NOPE", "1", "", ""]]

    with pytest.raises(ValidationError, match="1 row was refused, so nothing was imported"):
        _import(_file(tmp_path, rows), owner)

    assert not Order.objects.exists()


def test_skip_invalid_imports_the_whole_orders_only(tmp_path, owner, book):
    rows = [*ROWS, ["F-2", "", "", "", "", "", "", "NOPE", "1", "", ""]]

    plan = _import(_file(tmp_path, rows), owner, skip_invalid=True)

    assert plan.counts == {"create": 2, "update": 0, "unchanged": 0, "refused": 2}
    assert list(Order.objects.values_list("reference", flat=True)) == ["F-1"]


def test_an_order_across_a_chunk_boundary_is_one_order(tmp_path, owner, book, monkeypatch):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 2)
    extra = ProductFactory(sku="PAN-3")
    rows = [
        ROWS[2],
        ["F-1", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
        ["F-1", "", "", "", "", "", "", "CON-VAI", "2", "", ""],
        ["F-1", "", "", "", "", "", "", extra.sku, "3", "", ""],
        ["F-3", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""],
    ]
    path = _file(tmp_path, rows)

    planned = _plan(path)
    imported = _import(path, owner)

    assert planned.counts == imported.counts
    assert imported.counts == {"create": 5, "update": 0, "unchanged": 0, "refused": 0}
    assert Order.objects.get(reference="F-1").lines.count() == 3
    assert _import(path, owner).counts["unchanged"] == 5


def test_the_book_is_read_a_chunk_at_a_time(tmp_path, book, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 20)
    ProductFactory(sku="PAN-000")
    for reference, customer in (("F-0", "gomez"), ("F-10", "cafe")):
        OrderFactory(
            customer=book[customer],
            reference=reference,
            due_date=date(2024, 3, 5),
            lines=[{"product": book["bolillo"], "quantity": 2 if reference == "F-0" else 1}],
        )
    rows = [
        [f"F-{n // 3}", GOMEZ_RFC, "", "2024-03-01", "2024-03-05", "", "", sku, "1", "", ""]
        for n, sku in zip(range(30), ["BOL-01", "CON-VAI", "PAN-000"] * 10, strict=True)
    ]
    rows += [["F-10", "", "Café Olé", "2024-03-01", "2024-03-05", "", "", "BOL-01", "1", "", ""]]
    path = _file(tmp_path, rows)

    # per chunk of orders (18 rows, then 13): the customers, the products, the orders and
    # their lines, however many rows
    with django_assert_num_queries(4 + 4):
        plan = _plan(path)

    assert plan.counts == {"create": 27, "update": 3, "unchanged": 1, "refused": 0}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_an_export_imports_back_unchanged(tmp_path, owner, book, confirmed, suffix, language):
    _import(_file(tmp_path, ROWS), owner)
    OrderFactory(  # made in Clientela, without a reference: exported as #<number>
        customer=book["cafe"],
        lines=[{"product": book["concha"], "quantity": "2.5", "discount_percent": "10"}],
        status=OrderStatus.DELIVERED,
        finished_on=date(2024, 3, 8),
        delivered_on=date(2024, 3, 9),
    )
    path = tmp_path / f"pedidos{suffix}"

    with translation.override(language):
        call_command("export", "orders", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        columns = match_columns(sheet.headers, ORDER_FIELDS)
        plan = sheet_import(
            kind=ORDERS, actor=owner, sheet=sheet, columns=columns, source=path.name
        )

    assert len(columns) == len(sheet.headers)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 6, "refused": 0}
    assert Order.objects.count() == 4


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exported_rows_are_neutralised(tmp_path, book, suffix):
    OrderFactory(customer=CustomerFactory(name="=cmd()"), reference="-F1")
    path = tmp_path / f"pedidos{suffix}"

    call_command("export", "orders", str(path), stdout=StringIO())

    assert _written(path)[1][:4] == ["'-F1", "", "", "'=cmd()"]


def _written(path) -> list[list[str]]:
    """The cells as the file holds them, before any import reads them."""
    if path.suffix == ".xlsx":
        sheet = load_workbook(path).active
        return [["" if cell is None else cell for cell in row] for row in sheet.values]
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def test_the_command_line_exits_with_1_when_a_row_is_refused(tmp_path, owner, book):
    good = _file(tmp_path, ROWS, name="bien.csv")
    bad = _file(tmp_path, [*ROWS, ["F-9", "", "", "", "", "", "", "", "", "", ""]], name="mal.csv")

    with pytest.raises(SystemExit) as refused:
        call_command("import", "orders", str(bad), stdout=StringIO())
    out = StringIO()
    call_command("import", "orders", str(good), "--user", owner.username, stdout=out)

    assert refused.value.code == 1
    assert "3 created, 0 updated, 0 unchanged, 0 refused." in out.getvalue()
    assert Order.objects.count() == 2

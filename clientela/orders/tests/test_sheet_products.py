"""Importing and exporting products: each rule row by row, all or nothing, idempotent,
read a chunk at a time, the round trip and the commands."""

from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from clientela.orders.models import Product
from clientela.orders.sheet.products import PRODUCT_FIELDS, PRODUCTS, product_chunks
from clientela.orders.tests.factories import ProductFactory
from clientela.sheets.exporting import export_write
from clientela.sheets.importing import sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet
from clientela.sheets.template_files import template_rows

pytestmark = pytest.mark.django_db

HEADERS = ["Código", "Descripción", "Categoría", "Precio", "Moneda", "Tolerancia", "Activo"]


def _file(tmp_path, rows, headers=HEADERS, name="productos.csv"):
    path = tmp_path / name
    lines = [headers, *rows]
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")
    return path


def _plan(path):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, PRODUCT_FIELDS)
    rows = [row for chunk in product_chunks(sheet, columns) for row in chunk]
    plan = Plan("products", sheet.headers)
    plan.add(rows)
    return SimpleNamespace(rows=rows, counts=plan.counts, problems=plan.problems)


def _import(path, owner, **options):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, PRODUCT_FIELDS)
    return sheet_import(
        kind=PRODUCTS, actor=owner, sheet=sheet, columns=columns, source=path.name, **options
    )


@pytest.fixture
def catalog(db):
    return {
        "concha": ProductFactory(
            sku="PAN-001", name="Concha", category="Pan dulce", unit_price=Decimal("12.50")
        ),
        "bolillo": ProductFactory(sku="PAN-002", name="Bolillo", unit_price=Decimal("3")),
    }


def test_each_row_says_what_it_would_do_and_nothing_is_written(tmp_path, catalog):
    path = _file(
        tmp_path,
        [
            # the same SKU in lower case with spaces, the same values: unchanged
            [" pan-001 ", "Concha", "Pan dulce", "12,50", "MXN", "", "sí"],
            # a new price and no longer sold
            ["PAN-002", "", "", "3.50", "", "", "no"],
            # a new product
            ["PAN-010", "Oreja", "Hojaldre", "9", "", "2", ""],
            # new, without a price
            ["PAN-011", "Cuerno", "", "", "", "", ""],
        ],
    )

    plan = _plan(path)

    assert [(row.row, row.action) for row in plan.rows] == [
        (2, "unchanged"),
        (3, "update"),
        (4, "create"),
        (5, "refused"),
    ]
    assert plan.rows[1].target == catalog["bolillo"].pk
    assert plan.rows[1].changes == {"unit_price": Decimal("3.50"), "is_active": False}
    assert plan.rows[2].changes == {
        "sku": "PAN-010",
        "name": "Oreja",
        "category": "Hojaldre",
        "unit_price": Decimal("9"),
        "lead_time_tolerance_days": 2,
    }
    assert [(p.row, p.column, p.value, p.message) for p in plan.problems] == [
        (5, "Precio", "", "A new product needs a unit price.")
    ]
    assert Product.objects.count() == 2
    assert Product.objects.get(sku="PAN-002").unit_price == Decimal("3")


@pytest.mark.parametrize(
    ("cells", "column", "value", "message"),
    [
        (["PAN-001", "", "", "doce", "", "", ""], "Precio", "doce", "“doce” is not a number"),
        (["PAN-001", "", "", "-5", "", "", ""], "Precio", "-5", "greater than or equal to 0"),
        (["PAN-001", "", "", "12.505", "", "", ""], "Precio", "12.505", "at most 2 decimals"),
        (["PAN-001", "", "", "", "PESOS", "", ""], "Moneda", "PESOS", "is not a currency code"),
        (["PAN-001", "", "", "", "", "1.5", ""], "Tolerancia", "1.5", "Enter a whole number."),
        (["PAN-001", "", "", "", "", "", "quizá"], "Activo", "quizá", "is neither yes nor no"),
        (["PAN-001", "x" * 201, "", "", "", "", ""], "Descripción", "x" * 201, "at most 200"),
        (["", "Oreja", "", "9", "", "", ""], "Código", "", "Every row needs the product's SKU."),
    ],
)
def test_a_value_the_catalog_would_not_take_is_refused_naming_column_and_value(
    tmp_path, catalog, cells, column, value, message
):
    plan = _plan(_file(tmp_path, [cells]))

    (problem,) = plan.problems
    assert (problem.row, problem.column, problem.value) == (2, column, value)
    assert message in problem.message


def test_two_rows_of_the_file_with_the_same_sku_are_not_both_taken(tmp_path, catalog):
    path = _file(
        tmp_path,
        [
            ["PAN-010", "Oreja", "", "9", "", "", ""],
            ["pan-010", "Oreja grande", "", "11", "", "", ""],
        ],
    )

    plan = _plan(path)

    assert [row.action for row in plan.rows] == ["create", "refused"]
    assert plan.problems[0].message == "Row 2 already has this SKU; one product takes one row."


def test_the_catalog_is_read_a_chunk_at_a_time(
    tmp_path, catalog, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)
    rows = [[f"PAN-{n:03}", f"Pan {n}", "", "10", "", "", ""] for n in range(100, 129)]
    rows.append(["PAN-001", "Concha", "", "13", "", "", ""])
    path = _file(tmp_path, rows)

    # one query per chunk of 10 rows, however many of them match
    with django_assert_num_queries(3):
        plan = _plan(path)

    assert plan.counts == {"create": 29, "update": 1, "unchanged": 0, "refused": 0}


def test_an_import_creates_updates_and_a_second_one_changes_nothing(tmp_path, owner, catalog):
    path = _file(
        tmp_path,
        [
            ["PAN-002", "", "", "3.50", "", "", "no"],
            ["PAN-010", "Oreja", "Hojaldre", "9", "USD", "2", "no"],
        ],
    )

    plan = _import(path, owner)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 0}
    bolillo = Product.objects.get(sku="PAN-002")
    assert (bolillo.unit_price, bolillo.is_active) == (Decimal("3.50"), False)
    oreja = Product.objects.get(sku="PAN-010")
    assert (oreja.name, oreja.currency, oreja.lead_time_tolerance_days, oreja.is_active) == (
        "Oreja",
        "USD",
        2,
        False,
    )
    last = bolillo.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (owner, "Imported from productos.csv")

    again = _import(path, owner)

    assert again.counts == {"create": 0, "update": 0, "unchanged": 2, "refused": 0}
    assert bolillo.history.count() == Product.objects.get(sku="PAN-002").history.count()


def test_a_refused_last_row_leaves_nothing_written_unless_skip_invalid(tmp_path, owner, catalog):
    path = _file(
        tmp_path,
        [
            ["PAN-002", "", "", "3.50", "", "", ""],
            ["PAN-010", "Oreja", "", "9", "", "", ""],
            ["PAN-011", "Cuerno", "", "-1", "", "", ""],
        ],
    )

    with pytest.raises(ValidationError, match="1 row was refused, so nothing was imported"):
        _import(path, owner)

    assert set(Product.objects.values_list("sku", flat=True)) == {"PAN-001", "PAN-002"}
    assert Product.objects.get(sku="PAN-002").unit_price == Decimal("3")

    plan = _import(path, owner, skip_invalid=True)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 1}
    assert set(Product.objects.values_list("sku", flat=True)) == {"PAN-001", "PAN-002", "PAN-010"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_an_export_imports_back_unchanged(tmp_path, owner, catalog, suffix, language):
    ProductFactory(sku="=1+1", name="@Raro", unit_price=Decimal("0.5"), lead_time_tolerance_days=0)
    Product.objects.filter(sku="PAN-002").update(is_active=False, category="-Sin categoría")
    path = tmp_path / f"productos{suffix}"

    with translation.override(language):
        call_command("export", "products", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        columns = match_columns(sheet.headers, PRODUCT_FIELDS)
        plan = _import(path, owner)

    assert len(columns) == len(sheet.headers) == len(PRODUCT_FIELDS)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}


def test_the_template_imports_as_a_new_product(tmp_path, owner):
    path = tmp_path / "plantilla.xlsx"
    export_write(iter(template_rows(PRODUCTS)), path)

    plan = _import(path, owner)

    assert plan.counts["create"] == 1
    product = Product.objects.get()
    assert (product.sku, product.name, product.unit_price) == (
        "PAN-001",
        "Concha de vainilla",
        Decimal("12.50"),
    )


def _run(*args):
    out = StringIO()
    try:
        call_command(*map(str, args), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_commands_import_say_why_a_row_is_refused_and_export(tmp_path, owner, catalog):
    path = _file(
        tmp_path,
        [
            ["PAN-010", "Oreja", "", "9", "", "", ""],
            ["PAN-011", "Cuerno", "", "gratis", "", "", ""],
        ],
    )

    code, printed = _run("import", "products", path, "--dry-run")

    assert code == 1
    assert "1 to create, 0 to update, 0 unchanged, 1 refused." in printed
    assert "row 3, Precio “gratis”: “gratis” is not a number" in printed
    assert not Product.objects.filter(sku="PAN-010").exists()

    code, printed = _run("import", "products", path, "--skip-invalid", "--user", owner.username)

    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 1 refused." in printed
    assert Product.objects.get(sku="PAN-010").history.get().history_user == owner

    exported = tmp_path / "catalogo.csv"
    code, printed = _run("export", "products", exported)

    assert code == 0
    assert "3 rows written to" in printed
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "SKU,Name,Category,Unit,Unit price,Currency,Delivery tolerance (days),Active"
    assert lines[1] == "PAN-001,Concha,Pan dulce,pza,12.5,MXN,1,Yes"

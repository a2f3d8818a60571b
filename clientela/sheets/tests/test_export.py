"""Exports stream the catalog out in a form the import reads back unchanged."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from clientela.core.parsing import one_line
from clientela.customers.models import Customer
from clientela.customers.services import customer_create
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory
from clientela.sheets.exporting import neutralised
from clientela.sheets.importing import sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    return [
        CustomerFactory(
            name="Panadería Gómez",
            tax_id="GODE561231GR8",
            emails=["pedidos@gomez.mx", "facturas@gomez.mx"],
            phones=["222 555 0101", "222 555 0102"],
            tags=["Mayoreo", "Pan"],
            addresses=[{"street": "Av. Reforma 222", "city": "Puebla", "postal_code": "72000"}],
            notes="Entregar antes de las 7",
            customer_since=date(2019, 3, 15),
        ),
        CustomerFactory(name='=HYPERLINK("http://evil.example","clic")', emails=["x@y.mx"]),
        # nothing but a name: it comes back by Clientela's number
        CustomerFactory(name="Don Beto"),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_an_export_imports_back_unchanged(tmp_path, catalog, owner, suffix, language):
    path = tmp_path / f"clientes{suffix}"

    with translation.override(language):
        call_command("export", "customers", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
        plan = sheet_import(
            kind=CUSTOMERS, actor=owner, sheet=sheet, columns=columns, source=path.name
        )

    assert len(columns) == len(sheet.headers)  # every exported column is matched back
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}
    assert Customer.objects.count() == 3


def test_customers_sharing_an_e_mail_come_back_each_by_its_number(tmp_path, catalog, owner):
    # two records of one business not merged yet, as the duplicates list shows them
    CustomerFactory(name="Panadería Gómez (sucursal)", emails=["pedidos@gomez.mx"])
    path = tmp_path / "clientes.csv"
    call_command("export", "customers", str(path), stdout=StringIO())
    sheet = open_sheet(path)

    plan = sheet_plan(CUSTOMERS, sheet, match_columns(sheet.headers, CUSTOMER_FIELDS), user=None)

    assert plan.counts == {"create": 0, "update": 0, "unchanged": 4, "refused": 0}


def test_cells_that_would_run_as_formulas_are_neutralised(tmp_path, catalog):
    path = tmp_path / "clientes.xlsx"
    call_command("export", "customers", str(path), stdout=StringIO())

    cells = [cell for row in load_workbook(path).active.iter_rows(values_only=True) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","clic")' in cells
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "-", "@")) for c in cells)
    assert [neutralised(v) for v in ("@x", "+52", "-1", "ok", "\tx", "\rx", "'=x", "'a")] == [
        "'@x",
        "'+52",
        "'-1",
        "ok",
        "'\tx",
        "'\rx",
        "''=x",
        "'a",
    ]


def test_the_export_command_counts_and_filters_by_tag(tmp_path, catalog):
    out = StringIO()
    call_command("export", "customers", str(tmp_path / "m.csv"), "--tag", "mayoreo", stdout=out)

    assert "1 customer written to" in out.getvalue()
    text = (tmp_path / "m.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Tax id,External id,Name,Legal name,E-mail,Phone,Tags")
    assert "Panadería Gómez" in text and "evil" not in text


def test_a_number_clientela_does_not_have_is_refused(tmp_path, catalog):
    beto = catalog[2]
    path = tmp_path / "clientes.csv"
    path.write_text(
        f"External id;Name;Notes\n#{beto.pk};Don Beto;Paga en efectivo\n#999999;Nadie;\n",
        encoding="utf-8",
    )
    sheet = open_sheet(path)

    plan = sheet_plan(CUSTOMERS, sheet, match_columns(sheet.headers, CUSTOMER_FIELDS), user=None)

    assert plan.counts == {"create": 0, "update": 1, "unchanged": 0, "refused": 1}
    assert plan.samples["update"][0].target == beto.pk
    assert plan.samples["update"][0].changes == {"notes": "Paga en efectivo"}
    assert [(p.row, p.column, p.value, p.message) for p in plan.problems] == [
        (3, "External id", "#999999", "Clientela has no customer #999999.")
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.text(min_size=1, max_size=40), legal=st.text(max_size=40), notes=st.text())
@example(name="=1+2", legal="'=ya escapado", notes="\tpaso 1\r\n\r\n  paso 2")
@example(name="'", legal="''", notes="@SUM(A1)\rotra línea")
@example(name="-5 % descuento", legal="+52 222", notes="'\t")
def test_any_text_comes_back_unchanged_from_an_export(tmp_path, owner, suffix, name, legal, notes):
    # given a customer with any text in its name, legal name and notes, as it was kept
    assume(one_line(name))
    point = transaction.savepoint()
    try:
        made = customer_create(actor=owner, name=name, legal_name=legal, notes=notes)
        kept = Customer.objects.values("name", "legal_name", "notes").get(pk=made.pk)
        path = tmp_path / f"clientes{suffix}"

        # when the catalog is exported and the file imported back
        call_command("export", "customers", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        plan = sheet_import(
            kind=CUSTOMERS,
            actor=owner,
            sheet=sheet,
            columns=match_columns(sheet.headers, CUSTOMER_FIELDS),
            source=path.name,
        )

        # then the customer is unchanged, every text as it was
        assert plan.counts == {"create": 0, "update": 0, "unchanged": 1, "refused": 0}
        assert Customer.objects.values("name", "legal_name", "notes").get(pk=made.pk) == kept
    finally:
        transaction.savepoint_rollback(point)

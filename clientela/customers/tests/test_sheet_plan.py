"""The dry run of a customer import on a small catalog, each rule row by row."""

from types import SimpleNamespace

import pytest

from clientela.customers.models import Customer
from clientela.customers.sheet import (
    CUSTOMER_FIELDS,
    customer_chunks,
    customers_review,
)
from clientela.customers.tests.factories import CustomerFactory
from clientela.customers.tests.sheet_files import customers_file_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

HEADERS = ["RFC", "Nombre", "Correo", "Teléfono", "Etiquetas", "Notas"]


def customers_plan(sheet, columns):
    """The planned rows, with the plan's counts and problems."""
    rows = []
    for chunk in customer_chunks(sheet, columns):
        customers_review(chunk)
        rows += chunk
    plan = Plan("customers", sheet.headers)
    plan.add(rows)
    return SimpleNamespace(rows=rows, counts=plan.counts, problems=plan.problems)


def _plan(tmp_path, rows):
    path = tmp_path / "clientes.csv"
    lines = [HEADERS, *rows]
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")
    sheet = open_sheet(path)
    return customers_plan(sheet, match_columns(sheet.headers, CUSTOMER_FIELDS))


@pytest.fixture
def catalog(db):
    return {
        "gomez": CustomerFactory(
            name="Panadería Gómez",
            tax_id="GODE561231GR8",
            emails=["pedidos@gomez.mx"],
            phones=["222 555 0101"],
            tags=["Mayoreo"],
        ),
        "maria": CustomerFactory(name="Tortillería María", emails=["maria@tortilla.mx"]),
    }


def test_each_row_says_what_it_would_do_and_nothing_is_written(tmp_path, catalog):
    before = Customer.objects.count()

    plan = _plan(
        tmp_path,
        [
            # the same RFC, written in lower case with spaces: the same customer, unchanged
            ["gode 561231 gr8", "Panadería Gómez", "", "", "mayoreo", ""],
            # found by e-mail; brings a phone and a note
            ["", "Tortillería María", "MARIA@tortilla.mx", "2225550199", "", "Paga los lunes"],
            # nothing matches: a new customer
            ["", "Café Olé", "hola@cafeole.mx", "", "Café, Mayoreo", ""],
            # a phone nobody has and no name: refused
            ["", "", "", "2225550123", "", ""],
        ],
    )

    assert [(row.row, row.action) for row in plan.rows] == [
        (2, "unchanged"),
        (3, "update"),
        (4, "create"),
        (5, "refused"),
    ]
    assert plan.counts == {"create": 1, "update": 1, "unchanged": 1, "refused": 1}
    update = plan.rows[1]
    assert update.target == catalog["maria"].pk
    assert update.changes == {"phones": ["+522225550199"], "notes": "Paga los lunes"}
    assert plan.rows[2].changes == {
        "country": "MX",  # the country whose ids the RFC column holds
        "name": "Café Olé",
        "emails": ["hola@cafeole.mx"],
        "phones": [],
        "tags": ["Café", "Mayoreo"],
    }
    assert plan.rows[3].problems[0].message == "A new customer needs a name or a legal name."
    assert Customer.objects.count() == before


def test_a_row_matching_two_customers_is_refused_and_explained(tmp_path, catalog):
    plan = _plan(tmp_path, [["GODE561231GR8", "Gómez", "maria@tortilla.mx", "", "", ""]])

    (row,) = plan.rows
    assert row.action == "refused"
    assert row.problems[0].message == (
        f"This row matches more than one customer: #{catalog['gomez'].pk} (by tax id), "
        f"#{catalog['maria'].pk} (by e-mail). Merge them first."
    )


def test_an_e_mail_shared_with_an_unmerged_duplicate_is_no_second_match(tmp_path, catalog):
    # given the same business entered twice: a duplicate under its legal name shares
    # Gómez's e-mail and has no tax id
    twin = CustomerFactory(name="Gómez Hermanos", emails=["pedidos@gomez.mx"])

    # when a row brings Gómez's tax id and that e-mail
    plan = _plan(tmp_path, [["GODE561231GR8", "Panadería Gómez", "pedidos@gomez.mx", "", "", ""]])

    # then its tax id says which customer it is
    (row,) = plan.rows
    assert (row.action, row.target) == ("unchanged", catalog["gomez"].pk)

    # and an e-mail the two share, without a tax id, still cannot choose between them
    plan = _plan(tmp_path, [["", "Gómez", "pedidos@gomez.mx", "", "", ""]])
    assert plan.rows[0].problems[0].message == (
        f"This row matches more than one customer: #{catalog['gomez'].pk} (by e-mail), "
        f"#{twin.pk} (by e-mail). Merge them first."
    )


def test_a_value_that_cannot_be_read_names_its_row_column_and_value(tmp_path, catalog):
    plan = _plan(
        tmp_path,
        [
            ["GODE561231GR9", "Panadería Gómez", "", "", "", ""],
            ["", "Café Olé", "hola@", "12", "", ""],
        ],
    )

    problems = [(p.row, p.column, p.value) for p in plan.problems]
    assert problems == [(2, "RFC", "GODE561231GR9"), (3, "Correo", "hola@"), (3, "Teléfono", "12")]
    assert "check digit" in plan.problems[0].message
    assert plan.counts["refused"] == 2


def test_two_rows_of_the_file_with_the_same_key_are_not_both_taken(tmp_path, catalog):
    plan = _plan(
        tmp_path,
        [
            ["", "Café Olé", "hola@cafeole.mx", "", "", ""],
            ["", "Café Olé (otra vez)", "HOLA@cafeole.mx", "", "", ""],
        ],
    )

    assert [row.action for row in plan.rows] == ["create", "refused"]
    assert plan.rows[1].problems[0].message == (
        "Row 2 already has this e-mail; one customer takes one row."
    )


def test_the_catalog_is_read_a_chunk_at_a_time(tmp_path, catalog, django_assert_num_queries):
    rows = [["", f"Cliente {n}", f"c{n}@example.mx", f"22255502{n:02}", "", ""] for n in range(30)]
    rows.append(["", "Tortillería María", "maria@tortilla.mx", "", "", "Paga los lunes"])
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)

    # e-mails and phones of the chunk (no tax ids to look for), then the matched
    # customers with their e-mails, phones, tags, contacts and addresses: however many rows
    with django_assert_num_queries(2 + 6):
        plan = customers_plan(sheet, columns)

    assert plan.counts == {"create": 30, "update": 1, "unchanged": 0, "refused": 0}


def test_a_new_customer_that_looks_like_an_existing_one_is_flagged(tmp_path, catalog):
    gomez = CustomerFactory(
        name="Pastelería La Espiga",
        addresses=[{"street": "Av. Reforma 222", "city": "Puebla", "postal_code": "72000"}],
    )
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Nombre;Correo;Dirección;CP;Ciudad\n"
        "Pasteleria la Espiga S.A. de C.V.;espiga@example.mx;Avenida Reforma 222;72000;Puebla\n"
        "Pastelería La Espiga;otra@example.mx;Calle 5 de Mayo 10;72000;Puebla\n",
        encoding="utf-8",
    )
    sheet = open_sheet(path)

    plan = customers_plan(sheet, match_columns(sheet.headers, CUSTOMER_FIELDS))

    assert [row.action for row in plan.rows] == ["create", "create"]
    assert plan.rows[0].similar == [(gomez.pk, "Pastelería La Espiga")]
    assert plan.rows[1].similar == []  # the same name at another street is another shop


def test_an_import_flags_look_alikes_of_existing_customers_and_of_its_earlier_rows(tmp_path, owner):
    espiga = CustomerFactory(
        name="Pastelería La Espiga",
        addresses=[{"street": "Av. Reforma 222", "city": "Puebla", "postal_code": "72000"}],
    )
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Nombre;Correo;Dirección;CP;Ciudad\n"
        "Pasteleria la Espiga S.A. de C.V.;espiga@example.mx;Avenida Reforma 222;72000;Puebla\n"
        "Tortillería Doña Mary;mary@example.mx;Calle 5 de Mayo 10;72000;Puebla\n"
        "Tortilleria Dona Mary;dona@example.mx;C. 5 de Mayo 10;72000;Puebla\n",
        encoding="utf-8",
    )

    plan = customers_file_import(path, owner)

    mary = Customer.objects.get(emails__email="mary@example.mx")
    assert [(s.row, s.target, s.name) for s in plan.similar] == [
        (2, espiga.pk, "Pastelería La Espiga"),
        (4, mary.pk, "Tortillería Doña Mary"),  # the row above, imported a moment before
    ]


def test_a_new_address_without_its_street_is_refused_in_the_dry_run(tmp_path, catalog):
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Nombre;Correo;Ciudad;CP\n"
        "Café Olé;hola@cafeole.mx;Puebla;72000\n"  # a new customer
        "Tortillería María;maria@tortilla.mx;Puebla;72000\n",  # one without an address yet
        encoding="utf-8",
    )
    sheet = open_sheet(path)

    plan = customers_plan(sheet, match_columns(sheet.headers, CUSTOMER_FIELDS))

    assert [row.action for row in plan.rows] == ["refused", "refused"]
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (
            row,
            "Street and number",
            "A new address needs its street and city; this one has no street and number.",
        )
        for row in (2, 3)
    ]


def test_a_country_written_by_name_is_read_as_its_code(tmp_path, catalog):
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Nombre;País;RFC\nТорговый дом Волга;Россия;7707083893\nAbarrotes Chela;Mexico;\n",
        encoding="utf-8",
    )
    sheet = open_sheet(path)

    plan = customers_plan(sheet, match_columns(sheet.headers, CUSTOMER_FIELDS))

    assert [row.changes.get("country") for row in plan.rows] == ["RU", "MX"]
    assert plan.rows[0].changes["tax_id"] == "7707083893"  # checked as a Russian ИНН

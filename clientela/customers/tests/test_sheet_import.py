"""Applying a customer import: all or nothing, idempotent, recorded in the history."""

import dataclasses

import pytest
from django.core.exceptions import ValidationError

from clientela.customers.models import Customer, DuplicateCandidate
from clientela.customers.services import customer_create
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory
from clientela.customers.tests.sheet_files import customers_file_import
from clientela.sheets.importing import ImportOverrun, sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

HEADERS = ["RFC", "Nombre", "Correo", "Teléfono", "Etiquetas", "Dirección", "Ciudad", "Contacto"]
ROWS = [
    ["GODE561231GR8", "Panadería Gómez", "", "222 555 0101", "Mayoreo", "", "", ""],
    ["", "Café Olé", "hola@cafeole.mx", "", "Café", "Av. Juárez 10", "Puebla", "Lupita"],
]


def _import(tmp_path, rows, owner, **options):
    path = tmp_path / "clientes.csv"
    path.write_text(
        "\n".join(";".join(cells) for cells in [HEADERS, *rows]) + "\n", encoding="utf-8"
    )
    return customers_file_import(path, owner, **options)


@pytest.fixture
def gomez(owner):
    return CustomerFactory(name="Panadería Gómez", tax_id="GODE561231GR8", tags=["Pan"])


def test_an_import_creates_and_updates_and_a_second_one_changes_nothing(tmp_path, owner, gomez):
    plan = _import(tmp_path, ROWS, owner)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 0}
    gomez.refresh_from_db()
    assert list(gomez.phones.values_list("number", flat=True)) == ["+522225550101"]
    assert set(gomez.customer_tags.values_list("tag__name", flat=True)) == {"Pan", "Mayoreo"}
    cafe = Customer.objects.get(name="Café Olé")
    assert list(cafe.emails.values_list("email", flat=True)) == ["hola@cafeole.mx"]
    assert cafe.addresses.get().city == "Puebla"
    assert cafe.contacts.get().name == "Lupita"
    # the history says who imported which file
    last = gomez.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (owner, "Imported from clientes.csv")

    again = _import(tmp_path, ROWS, owner)

    assert again.counts == {"create": 0, "update": 0, "unchanged": 2, "refused": 0}
    assert Customer.objects.count() == 2


def test_rows_with_the_general_publics_rfc_are_different_customers(tmp_path, owner):
    # given a customer invoiced to the RFC of the general public, and a file with two more
    mostrador = CustomerFactory(name="Mostrador", tax_id="XAXX010101000")
    rows = [
        ["XAXX010101000", "María López", "maria@correo.mx", "", "", "", "", ""],
        ["xaxx-010101-000", "Juan Pérez", "", "55 1234 5678", "", "", "", ""],
    ]

    # when imported
    plan = _import(tmp_path, rows, owner)

    # then the RFC is taken, but it finds nobody: two new customers, none flagged as
    # duplicates of another
    assert plan.counts == {"create": 2, "update": 0, "unchanged": 0, "refused": 0}
    assert set(Customer.objects.values_list("name", "tax_id")) == {
        ("Mostrador", "XAXX010101000"),
        ("María López", "XAXX010101000"),
        ("Juan Pérez", "XAXX010101000"),
    }
    mostrador.refresh_from_db()
    assert mostrador.name == "Mostrador"
    assert not DuplicateCandidate.objects.exists()


def test_a_refused_last_row_leaves_nothing_written(tmp_path, owner, gomez):
    rows = [*ROWS, ["", "Sin correo válido", "hola@", "", "", "", "", ""]]

    with pytest.raises(ValidationError, match="1 row was refused, so nothing was imported"):
        _import(tmp_path, rows, owner)

    assert list(Customer.objects.values_list("name", flat=True)) == ["Panadería Gómez"]
    assert not gomez.phones.exists()


def test_skip_invalid_applies_the_valid_rows_and_reports_the_others(tmp_path, owner, gomez):
    rows = [*ROWS, ["", "Sin correo válido", "hola@", "", "", "", "", ""]]

    plan = _import(tmp_path, rows, owner, skip_invalid=True)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 1}
    assert [(p.row, p.column, p.value) for p in plan.problems] == [(4, "Correo", "hola@")]
    assert Customer.objects.count() == 2


def test_a_row_the_service_refuses_undoes_the_whole_import(tmp_path, owner, gomez):
    rows = [*ROWS, ["", "x" * 201, "", "", "", "", "", ""]]  # a name too long for the catalog

    with pytest.raises(ValidationError, match="Row 4: "):
        _import(tmp_path, rows, owner)

    assert Customer.objects.count() == 1
    assert not gomez.phones.exists()


def test_an_import_interrupted_while_writing_leaves_nothing_written(
    tmp_path, owner, gomez, monkeypatch
):
    # 25 rows in chunks of 10: two chunks are written before the third is interrupted
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)
    rows = [["", f"Cliente {n}", f"c{n}@example.mx", "", "", "", "", ""] for n in range(25)]
    written = []

    def crash(rows, actor, reason):
        CUSTOMERS.apply(rows, actor, reason)
        written.append(Customer.objects.count())
        if len(written) == 3:
            raise KeyboardInterrupt

    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    with pytest.raises(KeyboardInterrupt):
        sheet_import(
            kind=dataclasses.replace(CUSTOMERS, apply=crash),
            actor=owner,
            sheet=sheet,
            columns=columns,
            source="c.csv",
        )

    assert written == [11, 21, 26]  # the writes had happened…
    assert Customer.objects.count() == 1  # …and none of them stays


def _written_while_read(tmp_path, owner, write) -> list:
    """Import two chunks of new customers, calling ``write`` (another user's) once the
    first chunk has been read; what the import raised, if anything."""
    rows = [["", f"Cliente {n}", f"c{n}@example.mx", "", "", "", "", ""] for n in range(15)]
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    sheet = open_sheet(path)
    try:
        sheet_import(
            kind=CUSTOMERS,
            actor=owner,
            sheet=sheet,
            columns=match_columns(sheet.headers, CUSTOMER_FIELDS),
            source="c.csv",
            progress=lambda done: write() if done == 10 else None,
        )
    except ImportOverrun as overrun:
        return overrun.messages
    return []


def test_what_others_write_while_a_file_is_read_goes_in_beside_it(
    tmp_path, owner, sales, monkeypatch
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)

    refused = _written_while_read(
        tmp_path,
        owner,
        lambda: customer_create(actor=sales, name="Otra", emails=["otra@example.mx"]),
    )

    assert refused == []
    assert Customer.objects.count() == 16


def test_a_row_planned_on_what_another_user_changed_meanwhile_writes_nothing(
    tmp_path, owner, sales, monkeypatch
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)

    # Row 3's e-mail is given to a customer while the file is read: row 3 would now
    # update that customer, not make a new one
    refused = _written_while_read(
        tmp_path,
        owner,
        lambda: customer_create(actor=sales, name="Cliente 1 bis", emails=["c1@example.mx"]),
    )

    assert refused == [
        "While the file was being read, someone changed a record that row 3 was matched "
        "to; nothing was imported: import the file again."
    ]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Cliente 1 bis"]


def test_a_row_matches_by_external_id_and_updates_address_and_contact(tmp_path, owner):
    shop = CustomerFactory(
        name="Café Olé",
        external_id="C-0042",
        addresses=[{"street": "Av. Juárez 10", "city": "Puebla"}],
    )
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Código;Nombre;Dirección;Ciudad;CP;Contacto\n"
        "C-0042;Café Olé;Av. Juárez 12;Puebla;72000;Lupita\n",
        encoding="utf-8",
    )
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)

    plan = sheet_import(kind=CUSTOMERS, actor=owner, sheet=sheet, columns=columns, source=path.name)

    assert plan.counts["update"] == 1
    (sample,) = plan.samples["update"]
    assert sample.changes == {
        "address": {"street": "Av. Juárez 12", "postal_code": "72000"},
        "contact_name": "Lupita",
    }
    address = shop.addresses.get()
    assert (address.street, address.postal_code) == ("Av. Juárez 12", "72000")
    assert shop.contacts.get().name == "Lupita"
    assert shop.addresses.get().history.latest("history_date").history_user == owner

    again = sheet_import(
        kind=CUSTOMERS, actor=owner, sheet=open_sheet(path), columns=columns, source=path.name
    )

    assert again.counts["unchanged"] == 1


def test_an_update_compares_with_the_customers_default_address(tmp_path, owner):
    shop = CustomerFactory(
        name="Café Olé",
        external_id="C-7",
        addresses=[
            {"street": "Av. Juárez 10", "city": "Puebla", "is_default": True},
            {"street": "Calle 5 de Mayo 3", "city": "Puebla"},
        ],
    )
    path = tmp_path / "clientes.csv"
    path.write_text("Código;Nombre;Dirección;Ciudad\nC-7;Café Olé;Av. Juárez 10;Puebla\n")

    plan = customers_file_import(path, owner)

    assert plan.counts["unchanged"] == 1
    assert sorted(shop.addresses.values_list("street", flat=True)) == [
        "Av. Juárez 10",
        "Calle 5 de Mayo 3",
    ]

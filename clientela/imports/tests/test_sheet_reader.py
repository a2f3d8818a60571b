"""The sheet reader: a second process reads and checks the rows while the import writes."""

import multiprocessing

import pytest
from django.utils import translation

from clientela.customers.models import Customer
from clientela.imports.customers import CUSTOMER_FIELDS, CUSTOMERS
from clientela.imports.mapping import match_columns
from clientela.imports.plan import sheet_chunks
from clientela.imports.reading import SpreadsheetError, open_sheet
from clientela.imports.services import ImportRefused, sheet_import

pytestmark = pytest.mark.django_db

HEADERS = ["Nombre", "Correo", "Teléfono"]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr("clientela.imports.plan.CHUNK_ROWS", 10)


def _sheet(tmp_path, rows):
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    return open_sheet(path)


def _rows(count):
    return [[f"Cliente {n}", f"c{n}@example.mx", f"222 555 {1000 + n}"] for n in range(count)]


def _import(sheet, owner, progress=None):
    return sheet_import(
        kind=CUSTOMERS,
        actor=owner,
        sheet=sheet,
        columns=match_columns(sheet.headers, CUSTOMER_FIELDS),
        source="clientes.csv",
        progress=progress,
    )


def test_a_file_error_past_the_first_chunks_undoes_what_they_wrote(tmp_path, owner, small_chunks):
    rows = _rows(25)
    rows[22] = [*rows[22], "", "a value beyond the last column"]  # row 24 of the file
    sheet = _sheet(tmp_path, rows)
    written = []

    with pytest.raises(SpreadsheetError, match="Row 24 has values beyond the last named column"):
        _import(sheet, owner, progress=lambda done: written.append(Customer.objects.count()))

    assert written == [10, 20]  # the chunks before it had been written…
    assert not Customer.objects.exists()  # …and none of them stays
    assert not multiprocessing.active_children()  # nor does the reader


def test_the_reader_stops_with_the_import(tmp_path, owner, small_chunks):
    sheet = _sheet(tmp_path, _rows(45))

    def stop(done):
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(sheet, owner, progress=stop)

    assert not multiprocessing.active_children()
    assert not Customer.objects.exists()


def test_the_reader_writes_its_refusals_in_the_users_language(tmp_path, owner, small_chunks):
    rows = _rows(25)
    rows[21][1] = "hola@"  # row 23 of the file, in the reader's third chunk

    with translation.override("es"), pytest.raises(ImportRefused) as refusal:
        _import(_sheet(tmp_path, rows), owner)

    [problem] = refusal.value.plan.problems
    assert (problem.row, problem.column, problem.value) == (23, "Correo", "hola@")
    assert problem.message == "Dirección de correo electrónico no válida: hola@."


class _Unpicklable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.callback = lambda: None  # a lambda cannot be pickled


def test_an_error_the_reader_cannot_send_arrives_as_its_text(tmp_path, small_chunks):
    def read(number, cells):
        if number == 15:
            raise _Unpicklable("the cell at row 15 broke the reader")
        return number

    chunks = sheet_chunks(_sheet(tmp_path, _rows(25)), read)

    assert next(chunks) == list(range(2, 12))
    with pytest.raises(RuntimeError, match="the cell at row 15 broke the reader"):
        next(chunks)
    assert not multiprocessing.active_children()

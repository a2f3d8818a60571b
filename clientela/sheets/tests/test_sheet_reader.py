"""The sheet reader: a second process reads and checks the rows while the import writes."""

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import translation

from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.sheets.importing import ImportRefused, sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import sheet_chunks
from clientela.sheets.reading import open_sheet
from clientela.sheets.table import SpreadsheetError

pytestmark = pytest.mark.django_db

HEADERS = ["Nombre", "Correo", "Teléfono"]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)


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


def test_a_file_error_past_the_first_chunks_writes_nothing(tmp_path, owner, small_chunks):
    rows = _rows(25)
    rows[22] = [*rows[22], "", "a value beyond the last column"]  # row 24 of the file
    sheet = _sheet(tmp_path, rows)
    written = []

    with pytest.raises(SpreadsheetError, match="Row 24 has values beyond the last named column"):
        _import(sheet, owner, progress=lambda done: written.append(Customer.objects.count()))

    assert written == [0, 0]  # the file is read to its end before anything is written
    assert not Customer.objects.exists()
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


def test_the_reader_ends_when_the_importing_process_is_gone(tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *_rows(3000)]), encoding="utf-8")
    # a process that starts reading, takes one chunk and ends at once, without cleaning up
    code = f"""
import multiprocessing, os, django
django.setup()
from clientela.sheets import plan
from clientela.sheets.reading import open_sheet
plan.CHUNK_ROWS = 10
chunks = plan.sheet_chunks(open_sheet({str(path)!r}), lambda number, cells: cells)
next(chunks)
print(multiprocessing.active_children()[0].pid, flush=True)
os._exit(0)
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clientela.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    reader = int(done.stdout)

    def running() -> bool:  # gone, or a zombie waiting for whoever adopted it to reap it
        try:
            status = Path(f"/proc/{reader}/status").read_text()
        except FileNotFoundError:
            return False
        return "\nState:\tZ" not in status

    deadline = time.monotonic() + 30
    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(), "the reader outlived the process it read for"
    assert "Traceback" not in done.stderr

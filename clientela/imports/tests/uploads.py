"""Spreadsheets built in the tests, as uploads: a customer file with one row of each kind
of outcome, as .csv or .xlsx."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

HEADERS = ["RFC", "Nombre", "Correo", "Teléfono", "Dirección", "Ciudad", "CP"]
# Against the ``catalog`` of the tests: row 2 updates Panadería Gómez (a new e-mail),
# row 3 is new, row 4 is refused (its e-mail), row 5 is new and looks like La Esperanza.
ROWS = [
    ["GODE561231GR8", "Panadería Gómez", "pedidos@gomez.mx", "", "", "", ""],
    ["", "Café Olé", "hola@cafeole.mx", "222 555 0101", "5 de Mayo 3", "Puebla", ""],
    ["", "Sin correo válido", "hola@", "", "", "", ""],
    ["", "Tortilleria La Esperanza", "", "", "Av Juarez 10", "Puebla", "72000"],
]


def distinct_rows(count: int) -> list[list[str]]:
    """``count`` rows of new customers, none like another."""
    return [
        ["", f"Cliente {number}", f"cliente{number}@example.mx", "", "", "", ""]
        for number in range(1, count + 1)
    ]


def csv_upload(rows: list[list[str]], name: str = "clientes.csv") -> SimpleUploadedFile:
    """``rows`` (the header first) as an uploaded UTF-8 .csv."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(), content_type="text/csv")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with these sheets (title → rows)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(sheets: dict[str, list[list]], name: str = "clientes.xlsx") -> SimpleUploadedFile:
    """A workbook with these sheets as an upload."""
    return SimpleUploadedFile(name, xlsx_bytes(sheets))


def xlsx_rows(content: bytes) -> list[list]:
    """The rows of a workbook's first sheet, blank cells as ""."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [
        ["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)
    ]

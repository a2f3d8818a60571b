"""Files as people really have them, each built here, read by ``sheets.reading``."""

import zipfile
from datetime import datetime

import pytest
from django.utils import translation
from openpyxl import Workbook

from clientela.sheets.reading import MAX_COLUMNS, CsvLayout, csv_layout, open_sheet, sheet_names
from clientela.sheets.table import SpreadsheetError
from clientela.sheets.tests import FILES
from clientela.sheets.values import cell_text

# An OLE2 file as Excel saves an .xlsx with a password: its encrypted package inside.
ENCRYPTED = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\x00" * 512
    + "EncryptedPackage".encode("utf-16-le")
    + b"\x00" * 512
)

ROWS = [
    ["RFC", "Razón social", "Teléfono", "Alta"],
    ["GODE561231GR8", "Panadería Gómez", "222 555 0101", "03/01/2024"],
    ["MAR900101AB1", "Tortillería María", "2225550102", "2024-01-05"],
]


def _csv(path, rows, *, delimiter=",", encoding="utf-8", bom=False, newline="\n"):
    text = newline.join(delimiter.join(row) for row in rows) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _table(path, **kwargs):
    sheet = open_sheet(path, **kwargs)
    return sheet.header_row, sheet.headers, list(sheet.rows)


@pytest.mark.parametrize(
    ("delimiter", "encoding", "bom", "newline"),
    [
        (",", "utf-8", False, "\n"),
        (";", "utf-8", True, "\r\n"),
        ("\t", "utf-8", False, "\n"),
        (";", "cp1252", False, "\r\n"),
    ],
)
def test_csv_in_any_usual_encoding_and_delimiter(tmp_path, delimiter, encoding, bom, newline):
    path = _csv(
        tmp_path / "clientes.csv",
        ROWS,
        delimiter=delimiter,
        encoding=encoding,
        bom=bom,
        newline=newline,
    )

    header_row, headers, rows = _table(path)

    assert (header_row, headers) == (1, ROWS[0])
    assert rows == [(2, ROWS[1]), (3, ROWS[2])]


def test_russian_csv_in_windows_1251(tmp_path):
    rows = [["ИНН", "Наименование", "Телефон"], ["7707083893", "ООО Ромашка", "+7 495 123-45-67"]]
    path = _csv(tmp_path / "клиенты.csv", rows, delimiter=";", encoding="cp1251")

    _header_row, headers, body = _table(path)

    assert headers == rows[0]
    assert body == [(2, rows[1])]


def test_another_reader_is_told_how_a_csv_is_written(tmp_path):
    # given a Russian file in Windows-1251 with a title and a blank row above its header
    rows = [["Клиенты"], [], ["ИНН", "Наименование"], ["7707083893", "ООО Ромашка"]]
    path = _csv(tmp_path / "клиенты.csv", rows, delimiter=";", encoding="cp1251")

    # then its layout is the one open_sheet reads it with
    assert csv_layout(path) == CsvLayout("cp1251", ";", 3, ["ИНН", "Наименование"])


@pytest.mark.parametrize(
    ("rest", "encoding"),
    [
        pytest.param("é,1\n".encode() + b"ana,1\n" * 9, "utf-8-sig", id="a letter across it"),
        pytest.param(
            b"\xc3" + b"a,1\n" * 2**18 + "©,1\n".encode()[1:], "cp1252", id="a letter torn apart"
        ),
        pytest.param(b"ana,1\n" * 200_000 + "é".encode("cp1252"), "cp1252", id="a 1252 letter"),
    ],
)
def test_a_long_csv_is_utf8_only_if_all_of_it_is(tmp_path, rest, encoding):
    # given a file whose first MiB but one byte is plain ASCII, then: a UTF-8 letter
    # whose two bytes the MiB splits; or the first byte of one, a MiB of plain ASCII and
    # its second byte; or over a MiB of plain ASCII, then a Windows-1252 letter
    first = (b"name,amount\n" + b"ana,1\n" * 200_000)[: 2**20 - 1]
    path = tmp_path / "long.csv"
    path.write_bytes(first + rest)

    # then the encoding is told from the whole file
    assert csv_layout(path).encoding == encoding


@pytest.mark.parametrize(
    ("content", "quoted_below"),
    [
        pytest.param(b'"customer","date"\na,2024-01-01\nb,2024-01-02\n', False, id="header"),
        pytest.param(b'customer,note\na,"two\nlines"\n', True, id="a cell below"),
        pytest.param(b'"Sales, 2024"\n\ncustomer,note\na,plain\n', False, id="a title"),
        pytest.param(b'"Sales\n2024"\ncustomer,note\na,plain\n', False, id="a title on 2 lines"),
        pytest.param(
            b'"Sales\n2024"\n"customer","note"\na,plain\n', True, id="and a quoted header"
        ),
        pytest.param('cliente,nota\nJosé,"sí"\n'.encode("cp1252"), True, id="not UTF-8"),
    ],
)
def test_another_reader_is_told_whether_cells_below_the_header_are_quoted(
    tmp_path, content, quoted_below
):
    # given a file with quotes in its header, below it, in a title above it (over two
    # lines, which hides where the header ends), or one that is not UTF-8 (only its
    # start is read for the encoding)
    path = tmp_path / "sales.csv"
    path.write_bytes(content)

    # then a reader is told whether a cell below the header may hold a line break; where
    # it cannot tell, it is told that one may
    assert csv_layout(path).quoted_below is quoted_below


def test_the_header_is_found_below_a_title_and_blank_rows_and_spaces_around_cells_go(tmp_path):
    path = _csv(
        tmp_path / "lista.csv",
        [
            ["Lista de clientes 2024", "", "", ""],
            ["", "", "", ""],
            ["  RFC ", "Razón   social", "Teléfono", "Alta"],
            ["", "", "", ""],
            [" GODE561231GR8", "Panadería  Gómez ", "", ""],
        ],
    )

    header_row, headers, rows = _table(path)

    assert (header_row, headers) == (3, ["RFC", "Razón social", "Teléfono", "Alta"])
    # spaces inside a cell stay for its field to tidy (a name on one line, notes as lines)
    assert rows == [(5, ["GODE561231GR8", "Panadería  Gómez", None, None])]


def test_xlsx_streams_the_chosen_sheet_with_its_values(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Notas"
    workbook.active.append(["Sólo notas"])
    sheet = workbook.create_sheet("Clientes")
    sheet.append(["Catálogo de clientes"])
    sheet.append([])
    sheet.append(["RFC", "Nombre", "Crédito", "Alta"])
    sheet.append(["GODE561231GR8", "Panadería Gómez", 1500.5, datetime(2024, 1, 3)])
    sheet.append(["MAR900101AB1", "  Tortillería  María ", "2.000,00", "05/01/2024"])
    path = tmp_path / "catalogo.xlsx"
    workbook.save(path)

    assert sheet_names(path) == ["Notas", "Clientes"]
    header_row, headers, rows = _table(path, sheet="Clientes")

    assert (header_row, headers) == (3, ["RFC", "Nombre", "Crédito", "Alta"])
    assert rows == [
        (4, ["GODE561231GR8", "Panadería Gómez", 1500.5, datetime(2024, 1, 3)]),
        (5, ["MAR900101AB1", "Tortillería  María", "2.000,00", "05/01/2024"]),
    ]


def test_a_sheet_that_is_not_there_is_named_with_the_ones_that_are(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Clientes"
    path = tmp_path / "catalogo.xlsx"
    workbook.save(path)

    with pytest.raises(SpreadsheetError, match="no sheet “Ventas”; its sheets are: Clientes"):
        open_sheet(path, sheet="Ventas")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "cannot be read: it may be damaged"),
        (ENCRYPTED, "This workbook has a password. Open it, save it without one"),
        (b"PK\x03\x04" + b"\x00" * 100, "cannot be read: it may be damaged"),
        (b"\n\n\n", "The sheet has no rows."),
        (b"12,13\n14,15\n", "No header row was found in the first 30 rows"),
    ],
)
def test_what_cannot_be_read_says_why(tmp_path, content, message):
    path = tmp_path / "clientes.xlsx"  # the name does not matter, the content does
    path.write_bytes(content)

    with pytest.raises(SpreadsheetError, match=message):
        list(open_sheet(path).rows)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "clientes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")

    with pytest.raises(SpreadsheetError, match="a ZIP archive but not a workbook"):
        open_sheet(path)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, settings):
    settings.CLIENTELA_IMPORT_MAX_MB = 1
    path = tmp_path / "grande.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)

    with pytest.raises(SpreadsheetError, match=r"The file is 1\.1 MB; files of up to 1 MB"):
        open_sheet(path)


def test_a_row_with_too_many_columns_is_refused_naming_it(tmp_path):
    path = _csv(tmp_path / "ancha.csv", [["RFC", "Nombre"], ["A", "B"], ["x"] * 10_000])

    with pytest.raises(SpreadsheetError, match=f"Row 3 has 10,000 columns.*{MAX_COLUMNS}"):
        list(open_sheet(path).rows)
    with translation.override("es"), pytest.raises(SpreadsheetError) as refusal:
        list(open_sheet(path).rows)
    assert "La fila 3 tiene 10,000 columnas" in str(refusal.value)  # Spanish in Mexico


def test_values_beyond_the_last_named_column_are_refused(tmp_path):
    path = _csv(tmp_path / "extra.csv", [["RFC", "Nombre", ""], ["A", "B", "C"]])

    with pytest.raises(SpreadsheetError, match="Row 2 has values beyond the last named column"):
        list(open_sheet(path).rows)


@pytest.mark.parametrize("name", ["clientes-libreoffice.xls", "clientes-libreoffice.ods"])
def test_old_excel_and_libreoffice_workbooks_are_read_like_an_xlsx(name):
    # given a workbook LibreOffice saved as .xls or .ods (see files/README.md)
    path = FILES / name

    # then its sheets, its header under a title and its rows read as from an .xlsx:
    # numbers as numbers, dates as dates, rows numbered as in the file
    assert sheet_names(path) == ["Clientes", "Москва"]
    header_row, headers, rows = _table(path)
    assert header_row == 3
    assert headers[:4] == ["RFC", "Nombre", "Teléfono", "Correo electrónico"]
    assert [number for number, _cells in rows] == [4, 5, 7]
    first = [cell_text(cell) for cell in rows[0][1]]
    assert first == [
        "GODE561231GR8",
        "Panadería Gómez",
        "2225550101",
        "pedidos@gomez.mx",
        "72000",
        "Puebla",
        "Av. Reforma 120",
        "2021-03-15",
    ]
    assert rows[1][1][4] == "06700"  # a postal code typed as text stays so
    # and another sheet by its name
    assert _table(path, sheet="Москва")[2][0][1][:2] == ["7707083893", "ПАО Сбербанк"]
    with pytest.raises(SpreadsheetError, match="no sheet “Ventas”; its sheets are: Clientes"):
        open_sheet(path, sheet="Ventas")

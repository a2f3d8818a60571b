"""Reading spreadsheets as people really have them: .xlsx (streamed), .xls, .ods and .csv.

- The kind comes from the content, not the name: a ZIP whose ``mimetype`` is
  OpenDocument's spreadsheet is an .ods, any other ZIP an .xlsx; an OLE2 file is an old
  .xls (or a workbook with a password, refused saying so); text that starts with
  ``BEGIN:VCARD`` is contacts, read by the reader an app registered for them
  (``registry.sheet_reader_register``: the customers' vCards); other text is CSV;
  anything else is refused.
- An .xlsx is streamed by openpyxl, a row at a time, whatever its size (``xlsx.py``,
  loaded only for a workbook: openpyxl is slow to import). .xls and .ods
  are read by python-calamine, which holds the whole sheet in memory while it is
  read (an .xls has at most 65,536 rows; ``CLIENTELA_IMPORT_MAX_MB`` bounds the others);
  see ``docs/decisions/0012-calamine-for-xls-and-ods.md``.
- CSV text is UTF-8 (with or without a BOM) when it decodes as such; otherwise
  Windows-1251 when most of its letters are bytes above 127 (Cyrillic), else
  Windows-1252. The delimiter (comma, semicolon or tab) is the one that splits the first
  lines into the same number of cells, the most of them.
- The header row is the first of the first ``HEADER_SEARCH_ROWS`` rows with at least two
  cells, most of them words (not numbers or dates), and at least half as many cells as
  the widest of those rows: a title or blank rows above it are skipped.
- Cells come as the file has them: text without the spaces around it (each field tidies
  it further as it is kept: ``values.cell_line``, ``values.cell_block``), numbers and
  dates as Python values from an .xlsx; headers on one line. Blank rows are skipped. The
  apostrophe an export puts before text (``exporting.neutralised``) is taken off.
- Limits: ``CLIENTELA_IMPORT_MAX_MB`` for the file, ``MAX_COLUMNS`` cells for a row.

Every refusal is a ``SpreadsheetError`` whose message says what is wrong (and where).
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from clientela.core.parsing import one_line
from clientela.sheets.registry import sheet_reader
from clientela.sheets.table import Cell, Sheet, SpreadsheetError, clean, no_such_sheet

HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 500
_SNIFF_BYTES = 64 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# The stream an OLE2 file holding an encrypted .xlsx has, as its directory names it.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_DELIMITERS = (",", ";", "\t")
_ENCODING_NAMES = {"cp1251": "Windows-1251", "cp1252": "Windows-1252", "utf-8-sig": "UTF-8"}
_NUMBER_OR_DATE = re.compile(r"^[\d\s.,:/+\-%$€₽]+$")


def sheet_names(path: str | Path) -> list[str]:
    """The sheets of an .xlsx, in order; a CSV or vCard file has one, named after it."""
    path = Path(path)
    kind = _kind(path)
    if kind in ("csv", "vcard"):
        return [path.stem]
    if kind != "xlsx":
        with _calamine_workbook(path) as workbook:
            return list(workbook.sheet_names)
    from clientela.sheets.xlsx import xlsx_workbook

    workbook = xlsx_workbook(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def open_sheet(path: str | Path, *, sheet: str | None = None) -> Sheet:
    """The table of ``path`` (of its sheet ``sheet``, by default the first)."""
    path = Path(path)
    kind = _kind(path)
    if kind == "vcard":
        reader = sheet_reader(kind)
        if reader is None:
            raise SpreadsheetError(
                _("This file is not a spreadsheet: use .xlsx, .xls, .ods or .csv.")
            )
        return reader(path, encoding=_encoding(path))
    if kind == "csv":
        name, rows = path.stem, _csv_rows(path, *_csv_dialect(path))
    elif kind == "xlsx":
        from clientela.sheets.xlsx import xlsx_rows

        name, rows = xlsx_rows(path, sheet)
    else:
        name, rows = _calamine_rows(path, sheet)
    return _with_header(name, rows)


# --- what the file is ------------------------------------------------------------------


def _kind(path: Path) -> str:
    size = path.stat().st_size
    limit = settings.CLIENTELA_IMPORT_MAX_MB
    if size == 0:
        raise SpreadsheetError(_("The file is empty."))
    if size > limit * 1024 * 1024:
        raise SpreadsheetError(
            _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
            % {"size": number_format(size / 1024 / 1024, 1), "limit": limit}
        )
    with path.open("rb") as file:
        start = file.read(_SNIFF_BYTES)
    if start.startswith(_OLE2):
        return "xls"
    if start.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if b"\x00" in start:
        raise SpreadsheetError(_("This file is not a spreadsheet: use .xlsx, .xls, .ods or .csv."))
    if start.removeprefix(codecs.BOM_UTF8).lstrip().upper().startswith(b"BEGIN:VCARD"):
        return "vcard"
    return "csv"


def _zip_kind(path: Path) -> str:
    """ "ods" for an OpenDocument spreadsheet; "xlsx" for an Office document (or a ZIP
    that cannot be read: damaged); any other ZIP archive is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names and archive.read("mimetype") == _ODS_MIMETYPE:
                return "ods"
    except (zipfile.BadZipFile, OSError):
        return "xlsx"
    if "[Content_Types].xml" not in names:
        raise SpreadsheetError(
            _(
                "This file is a ZIP archive but not a workbook: use .xlsx, .xls, .ods or .csv "
                "(unpack the archive first if it holds one)."
            )
        )
    return "xlsx"


# --- CSV -------------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """utf-8-sig when the whole file is UTF-8; else Windows-1251 or -1252 by its letters."""
    return _scan(path)[0]


def _scan(path: Path) -> tuple[str, int | None]:
    """The file's encoding (``_encoding``) and where its last quote character is (a byte
    offset, -1 without one), found in one pass over a UTF-8 file; ``None`` for where
    when the file is not UTF-8 (then only its start is read)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    last_quote, read = -1, 0
    with path.open("rb") as file:
        try:
            while chunk := file.read(1024 * 1024):
                # Plain ASCII is UTF-8 when no character is left half read before it;
                # telling it is many times faster than decoding it.
                if not (chunk.isascii() and not decoder.getstate()[0]):
                    decoder.decode(chunk)
                if (quote := chunk.rfind(b'"')) >= 0:
                    last_quote = read + quote
                read += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig", last_quote
        except UnicodeDecodeError:
            file.seek(0)
            sample = file.read(_SNIFF_BYTES)
    high = sum(byte >= 0xC0 for byte in sample)
    letters = high + sum(chr(byte).isalpha() for byte in sample if byte < 0x80)
    return ("cp1251" if letters and high / letters > 0.3 else "cp1252"), None


def _delimiter(sample: str) -> str:
    """The delimiter that splits the sample's lines into equal counts of cells, most."""
    lines = [line for line in sample.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        widths = [count for count in counts if count > 1]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_dialect(path: Path) -> tuple[str, str]:
    """The encoding and the delimiter of a CSV file."""
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as file, _decoding(path, encoding):
        sample = file.read(_SNIFF_BYTES)
    return encoding, _delimiter(sample)


@contextmanager
def _decoding(path: Path, encoding: str) -> Iterator[None]:
    """Refuse text that has a byte ``encoding`` does not define (0x98 in Windows-1251),
    naming the byte and its line."""
    try:
        yield
    except UnicodeDecodeError as error:
        with path.open("rb") as file:
            line = 1
            for line, text in enumerate(file, start=1):  # noqa: B007
                if error.object[error.start : error.end] in text:
                    break
        raise SpreadsheetError(
            _(
                "Line %(line)s has the byte 0x%(byte)02X, which is no character in "
                "%(encoding)s: save the file as CSV UTF-8."
            )
            % {
                "line": line,
                "byte": error.object[error.start],
                "encoding": _ENCODING_NAMES.get(encoding, encoding),
            }
        ) from error


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    with path.open(encoding=encoding, newline="") as file, _decoding(path, encoding):
        reader = csv.reader(file, delimiter=delimiter)
        number = 0
        try:
            for number, row in enumerate(reader, start=1):
                yield number, [clean(cell) for cell in row]
        except csv.Error as error:
            raise SpreadsheetError(
                _(
                    "The file cannot be read past row %(row)s: row %(next)s has a cell longer "
                    "than %(limit)s characters, or a quote that does not close."
                )
                % {
                    "row": number,
                    "next": number + 1,
                    "limit": number_format(csv.field_size_limit(), force_grouping=True),
                }
            ) from error


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file is written: its encoding (a Python codec), delimiter, header row
    (numbered from 1, blank rows counted) and the header's cells. ``quoted_below``:
    whether a quote character may follow the header, and so a cell below it hold a line
    break (a reader that splits rows at every line break may when it is false)."""

    encoding: str
    delimiter: str
    header_row: int
    headers: list[str]
    quoted_below: bool = True


def csv_layout(path: str | Path) -> CsvLayout:
    """The encoding, delimiter and header row of a CSV file, found as ``open_sheet``
    finds them, for a reader of its own (without the import's size limit). Raises
    ``SpreadsheetError`` for a file without a header row."""
    path = Path(path)
    encoding, last_quote = _scan(path)
    with path.open(encoding=encoding, newline="") as file:
        delimiter = _delimiter(file.read(_SNIFF_BYTES))
    sheet = _with_header(path.stem, _csv_rows(path, encoding, delimiter))
    quoted_below = True
    if last_quote is not None:
        with path.open("rb") as file:
            start = file.read(_SNIFF_BYTES)
        # The header row's line break, counted in the file's lines: a cell above it
        # holding a line break would make it one of the header's or of a row above,
        # so a quote after it may be the header's, never one of the rows below missed.
        end = -1
        for _line in range(sheet.header_row):
            end = start.find(b"\n", end + 1)
            if end < 0:
                break
        if end >= 0:
            quoted_below = last_quote > end
    return CsvLayout(encoding, delimiter, sheet.header_row, sheet.headers, quoted_below)


# --- .xls, .ods -----------------------------------------------------------------------


def _calamine_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(path)
    except (CalamineError, OSError, ValueError) as error:
        if isinstance(error, PasswordError) or _encrypted(path):
            raise SpreadsheetError(
                _("This workbook has a password. Open it, save it without one and import that.")
            ) from error
        raise _damaged() from error


def _encrypted(path: Path) -> bool:
    """Whether an OLE2 file holds an encrypted .xlsx (Excel saves one with a password so)."""
    with path.open("rb") as file:
        tail = b""
        while chunk := file.read(1024 * 1024):
            if _ENCRYPTED_PACKAGE in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTED_PACKAGE) :]
    return False


def _damaged() -> SpreadsheetError:
    return SpreadsheetError(
        _("This file looks like a workbook but cannot be read: it may be damaged.")
    )


def _calamine_rows(path: Path, sheet: str | None) -> tuple[str, Iterator[tuple[int, list[Cell]]]]:
    """The name and rows of a sheet of an .xls or .ods (or an .xlsx), read by
    python-calamine: numbered as in the file, from its first column."""
    with _calamine_workbook(path) as workbook:
        names = list(workbook.sheet_names)
        if sheet is not None and sheet not in names:
            raise no_such_sheet(sheet, names)
        name = sheet or names[0]
        try:
            table = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as error:
            raise _damaged() from error

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        first_row, first_column = table.start or (0, 0)
        before: list[Cell] = [None] * first_column
        for number, cells in enumerate(table.iter_rows(), start=first_row + 1):
            yield number, [*before, *(clean(cell) for cell in cells)]

    return name, rows()


# --- the table -------------------------------------------------------------------------


def _trimmed(cells: list[Cell]) -> list[Cell]:
    end = len(cells)
    while end and cells[end - 1] in (None, ""):
        end -= 1
    return cells[:end]


def _checked(number: int, cells: list[Cell]) -> list[Cell]:
    cells = _trimmed(cells)
    if len(cells) > MAX_COLUMNS:
        raise SpreadsheetError(
            _("Row %(row)s has %(count)s columns; a sheet may have at most %(limit)s.")
            % {
                "row": number,
                "count": number_format(len(cells), force_grouping=True),
                "limit": MAX_COLUMNS,
            }
        )
    return cells


def _is_word(cell: Cell) -> bool:
    return isinstance(cell, str) and not _NUMBER_OR_DATE.match(cell)


def _with_header(name: str, rows: Iterator[tuple[int, list[Cell]]]) -> Sheet:
    seen: list[tuple[int, list[Cell]]] = []
    for number, cells in rows:
        cells = _checked(number, cells)
        if any(cell is not None for cell in cells):
            seen.append((number, cells))
        if len(seen) == HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise SpreadsheetError(_("The sheet has no rows."))
    widest = max(sum(cell is not None for cell in cells) for _number, cells in seen)
    for index, (number, cells) in enumerate(seen):
        filled = [cell for cell in cells if cell is not None]
        words = sum(_is_word(cell) for cell in filled)
        if len(filled) >= 2 and len(filled) * 2 >= widest and words * 5 >= len(filled) * 3:
            headers = [one_line(str(cell)) if cell is not None else "" for cell in cells]
            return Sheet(name, number, headers, _body(headers, seen[index + 1 :], rows))
    raise SpreadsheetError(
        _(
            "No header row was found in the first %(count)s rows: put the column names "
            "in one row above the data."
        )
        % {"count": HEADER_SEARCH_ROWS}
    )


def _body(
    headers: list[str],
    buffered: list[tuple[int, list[Cell]]],
    rest: Iterator[tuple[int, list[Cell]]],
) -> Iterator[tuple[int, list[Cell]]]:
    width = len(headers)

    def fitted(number: int, cells: list[Cell]) -> list[Cell]:
        if len(cells) > width and any(cell is not None for cell in cells[width:]):
            raise SpreadsheetError(
                _("Row %(row)s has values beyond the last named column.") % {"row": number}
            )
        return (cells + [None] * width)[:width]

    for number, cells in buffered:
        yield number, fitted(number, cells)
    for number, cells in rest:
        cells = _checked(number, cells)
        if any(cell is not None for cell in cells):
            yield number, fitted(number, cells)

"""The .xlsx reader of ``reading``: a workbook streamed by openpyxl, a row at a time.

Loaded only when a workbook is read: openpyxl takes a tenth of a second to import, which
commands that read CSV files (``clientela analyze --transactions``) need not wait for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from clientela.sheets.table import Cell, SpreadsheetError, clean, no_such_sheet

_SI, _T, _R = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("si", "t", "r"))


def _shared_strings(source) -> list[str]:
    """The shared strings as openpyxl reads them (text without its formatting or
    phonetic guide), without a formatted-text object for each: most of a workbook's
    text is here, and those objects took a third of the time of reading a large one."""
    strings = []
    for _event, node in iterparse(source):
        if node.tag == _SI:
            runs = (run.findtext(_T) or "" for run in node.iter(_R))
            strings.append(((node.findtext(_T) or "") + "".join(runs)).replace("x005F_", ""))
            node.clear()
    return strings


class _ExcelReader(ExcelReader):
    """openpyxl's reader of the archive at ``path``, whatever the file's name (the kind
    comes from the content), its shared strings read by ``_shared_strings``."""

    def __init__(self, path: Path, **options) -> None:
        with path.open("rb") as file:  # a file object: openpyxl leaves its name unchecked
            super().__init__(file, **options)
        self.archive = zipfile.ZipFile(path)  # one that closes its file with the workbook
        self.valid_files = self.archive.namelist()

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _shared_strings(source)


def _unreadable(error: Exception, message: str) -> SpreadsheetError:
    """The refusal of a workbook openpyxl failed on: ``message``, or, when defusedxml
    refused its XML (openpyxl may wrap that in a ValueError), that it declares entities."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return _declarations()
        cause = cause.__cause__ or cause.__context__
    return SpreadsheetError(message)


def _declarations() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "This workbook holds XML declarations (DTD) or entities, which no spreadsheet "
            "program writes: it is refused. Open it in your spreadsheet program and save it "
            "again as .xlsx."
        )
    )


def xlsx_workbook(path: Path):
    """The workbook, opened by openpyxl to be streamed (read-only, values only). Its XML
    is read by defusedxml: a declaration of entities (a billion laughs, a file of the
    server's) is refused."""
    try:
        reader = _ExcelReader(path, read_only=True, data_only=True)
        reader.read()
        return reader.wb
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as error:
        raise _unreadable(
            error,
            _("This file looks like an Excel workbook but cannot be read: it may be damaged."),
        ) from error


def xlsx_rows(path: Path, sheet: str | None) -> tuple[str, Iterator[tuple[int, list[Cell]]]]:
    """The name of the sheet ``sheet`` (the first by default) and its rows, streamed."""
    workbook = xlsx_workbook(path)
    names = list(workbook.sheetnames)
    if sheet is not None and sheet not in names:
        workbook.close()
        raise no_such_sheet(sheet, names)
    worksheet = workbook[sheet or names[0]]

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        number = 0
        try:
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [clean(cell) for cell in row]
        except (zipfile.BadZipFile, KeyError, ValueError, ParseError) as error:
            raise _unreadable(
                error,
                _("This workbook cannot be read past row %(row)s: it may be damaged.")
                % {"row": number},
            ) from error
        finally:
            workbook.close()

    return worksheet.title, rows()
